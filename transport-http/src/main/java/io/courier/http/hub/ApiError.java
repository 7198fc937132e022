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

    /**
     * The 503 for a journal write that failed while doing {@code what}: {@code disk_full} or {@code journal_failed}, with
     * the journal's own message (which names the fix) when it has one.
     */
    static ApiError journal(Throwable cause, String what) {
        if (cause instanceof DiskFullException) return new ApiError(503, "disk_full", cause.getMessage());
        if (cause instanceof HubFullException) return new ApiError(503, "hub_full", cause.getMessage());
        if (cause instanceof JournalFailedException) return new ApiError(503, "journal_failed", cause.getMessage());
        return new ApiError(503, "journal_failed", "the hub could not write its journal (" + cause.getMessage() + ") " + what + ": retry later");
    }
}
