package io.courier.http.hub;

import java.io.IOException;

/**
 * The journal refused a write for lack of disk space: nothing of the request was written, the journal stays usable,
 * and it accepts again as soon as space returns (answered 503 {@code disk_full} with {@code Retry-After}).
 */
final class DiskFullException extends IOException {
    DiskFullException(String message, Throwable cause) { super(message, cause); }
}
