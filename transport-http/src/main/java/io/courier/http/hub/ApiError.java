package io.courier.http.hub;

/** A request the hub refuses: the HTTP status, a short code and a message naming the problem and the fix. */
final class ApiError extends RuntimeException {
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static ApiError badRequest(String message) { return new ApiError(400, "bad_request", message); }
}
