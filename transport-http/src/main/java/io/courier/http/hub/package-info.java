/**
 * The Courier hub: {@link io.courier.http.hub.CourierHub} (embeddable, or {@code ./courier hub}) keeps messages in the
 * {@code mem://} engine made durable by an append-only journal with group commit, and serves the HTTP API v1
 * (send, long-poll receive, settle, close, health, stats) documented in the module README.
 */
package io.courier.http.hub;
