package io.courier.spi;

import io.courier.CourierException;

/**
 * {@link Admin#groups(String)} on a transport that cannot enumerate its groups. The message says why and what to do
 * instead (give the group names, or the broker feature that would allow a listing).
 */
public class GroupsNotListableException extends CourierException {
    public GroupsNotListableException(String message) { super(message); }
}
