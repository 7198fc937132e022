package io.courier.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders cleanly: picocli formats descriptions with {@code String.format}, so a bare
 * {@code %} (as in "40% of the heap") made it print "[picocli WARN] Could not format …" three times on stderr — the
 * process's own stderr, not the one the CLI was given, which is why this test watches {@link System#err}.
 */
class HelpTest {

    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        List<List<String>> paths = new ArrayList<>();
        collect(new CommandLine(new CourierCli(System.out, System.err)), new ArrayList<>(), paths);
        PrintStream saved = System.err;
        ByteArrayOutputStream processErr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(processErr, true, StandardCharsets.UTF_8));
        try {
            for (List<String> path : paths) {
                List<String> args = new ArrayList<>(path);
                args.add("--help");
                CliTest.Run run = CliTest.courier(args.toArray(String[]::new));
                assertEquals(0, run.exit(), String.join(" ", args) + ": " + run.err());
                assertFalse(run.out().contains("%n") || run.err().contains("WARN"), String.join(" ", args) + ": " + run.out() + run.err());
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", processErr.toString(StandardCharsets.UTF_8), "picocli's own warnings while rendering " + paths.size() + " help pages");
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        if (!path.isEmpty() && !path.get(path.size() - 1).equals("help")) into.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandSpec().aliases().length > 0 && !name.equals(sub.getCommandName())) return; // an alias
            List<String> deeper = new ArrayList<>(path);
            deeper.add(name);
            collect(sub, deeper, into);
        });
    }
}
