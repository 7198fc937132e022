/**
 * Courier's command line, run by the {@code ./courier} launcher at the repository root: {@code demo} shows the
 * contract at work (retries, a dead letter, a worker stopped mid-way, nothing lost) and {@code conformance} checks any
 * transport URL against clauses C1–C16; the operator commands ({@code send}, {@code tail}, {@code stats},
 * {@code dlq}, {@code groups delete}) look at and repair groups on any transport (see cli/README.md). Entry point:
 * {@link io.courier.cli.CourierCli}.
 */
package io.courier.cli;
