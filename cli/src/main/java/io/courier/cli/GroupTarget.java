package io.courier.cli;

import picocli.CommandLine.Parameters;

/** {@code URL GROUP [--json] [--verbose]}: the target of the commands that act on one group (a picocli mixin). */
class GroupTarget extends OperatorTarget {
    @Parameters(index = "1", paramLabel = "GROUP", description = "The group (for tail, a dead-letter group such as orders.dlq works too).")
    String group;
}
