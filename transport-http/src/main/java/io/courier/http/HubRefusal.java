package io.courier.http;

import io.courier.CourierException;

/** The hub refused a request (400, 404, 405, 409, 413): its message names the field or limit. Not retried. */
final class HubRefusal extends CourierException {
    final int status;

    HubRefusal(int status, String message) {
        super(message);
        this.status = status;
    }
}
