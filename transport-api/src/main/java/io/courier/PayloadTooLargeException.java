package io.courier;

/** A message larger than the transport accepts (clause C8); it was not sent. Names both sizes. */
public class PayloadTooLargeException extends CourierException {
    private final long size;
    private final long limit;

    public PayloadTooLargeException(String messageId, long size, long limit, String limitName) {
        super("message " + messageId + " is " + size + " bytes, above the transport's limit of " + limit + " bytes ("
                + limitName + "): send a smaller payload, or store it elsewhere and send a reference");
        this.size = size;
        this.limit = limit;
    }

    public long size() { return size; }

    public long limit() { return limit; }
}
