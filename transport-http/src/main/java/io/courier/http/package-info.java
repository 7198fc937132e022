/**
 * The {@code http://} and {@code https://} transport: a client of a Courier hub ({@link io.courier.http.hub}) that
 * long-polls for deliveries, merges sends and batches settlements. Found through {@link io.courier.http.HttpProvider}.
 */
package io.courier.http;
