/**
 * Helpers for adapters, written once: {@link io.courier.spi.support.LeaseTable} (lease bookkeeping a broker does not
 * do itself: settle once, extend, expire), {@link io.courier.spi.support.LeaseKeeper} (the periodic upkeep, never
 * stalling one receiver for another's broker call) and {@link io.courier.spi.support.WireHeaders} (the
 * {@code courier-*} header names of every transport), and the optional {@link io.courier.spi.support.PlainClient}
 * (the broker's own client sending to a group, for the conformance suite's plain-client test). Part of the SPI.
 */
package io.courier.spi.support;
