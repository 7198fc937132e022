package io.courier.spi;

import java.time.Duration;

/**
 * What a receiver is opened for.
 *
 * @param group       the group whose {@code any@group} messages it competes for
 * @param member      this member's id, or null; when set, {@code uni@group/member} and {@code any@group/member}
 *                    messages for it are received too
 * @param prefetch    the most unsettled deliveries the receiver may hold (C11); the runtime never asks for more
 * @param ackDeadline lease of a delivery: unsettled and not extended for this long, it is redelivered (C6)
 * @param window      the runtime's prefetch window when it opens the receiver, 1 to {@code prefetch}: equal to it for
 *                    a fixed prefetch; smaller when it adapts ({@link Receiver#window} tells each change). A receiver
 *                    whose broker pushes ahead (a consumer prefetch) starts with this one
 */
public record ReceiverSpec(String group, String member, int prefetch, Duration ackDeadline, int window) {
    public ReceiverSpec {
        io.courier.Destination.any(group); // validates the name
        if (member != null) io.courier.Destination.uni(group, member);
        if (prefetch < 1) throw new IllegalArgumentException("prefetch must be at least 1, got " + prefetch);
        if (ackDeadline.isNegative() || ackDeadline.isZero()) throw new IllegalArgumentException("ackDeadline must be positive");
        if (window < 1 || window > prefetch) throw new IllegalArgumentException("window must be 1 to prefetch (" + prefetch + "), got " + window);
    }

    /** A fixed prefetch: the window is the prefetch. */
    public ReceiverSpec(String group, String member, int prefetch, Duration ackDeadline) {
        this(group, member, prefetch, ackDeadline, prefetch);
    }
}
