package io.courier.cli;

import java.util.List;
import picocli.CommandLine.Parameters;

/** {@code URL GROUP… [--json] [--verbose]}: the target of the commands that act on several groups at once (a picocli mixin). */
class GroupsTarget extends OperatorTarget {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "GROUP", description = "Groups.")
    List<String> groups;
}
