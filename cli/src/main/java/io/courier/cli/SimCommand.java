package io.courier.cli;

import io.courier.sim.SimCommandCore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code courier sim --seed 42 --tasks 1000}: a deterministic simulated run; prints counts and the trace hash. */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = "Run tasks through the deterministic simulation (virtual time, seeded faults); the same seed prints the same trace-sha256.")
final class SimCommand implements Callable<Integer> {
    @ParentCommand
    CourierCli cli;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every decision. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--tasks", defaultValue = "1000", description = "Tasks to run. Default: ${DEFAULT-VALUE}.")
    int tasks;

    @Option(names = "--faults", description = "Fault rates, e.g. 'dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01' (default: the simulation's own mix).")
    String faults;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        if (tasks < 1) throw new IllegalArgumentException("--tasks must be at least 1, got " + tasks);
        return faults == null ? SimCommandCore.run(seed, tasks, cli.out) : SimCommandCore.run(seed, tasks, faults, cli.out);
    }
}
