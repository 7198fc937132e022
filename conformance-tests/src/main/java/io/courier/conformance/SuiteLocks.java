package io.courier.conformance;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLocksProvider;

/**
 * Which of the suite's tests may run side by side when JUnit runs them in parallel: every test shares the transport
 * under test (a read lock), but the fault tests of {@link FaultClauses} (a broker restart or a connection cut),
 * those of C18 (drain rates measured, consumer processes killed or paused, the broker restarted) and a test class's own
 * tests without a {@link Clause} (e.g. the mutant runs, which set system properties the suite reads) take it alone.
 */
final class SuiteLocks implements ResourceLocksProvider {
    /** The lock's key: the transport under test. */
    static final String TRANSPORT = "io.courier.conformance.transport";

    @Override
    public Set<Lock> provideForMethod(List<Class<?>> enclosingInstanceTypes, Class<?> testClass, Method testMethod) {
        return Set.of(new Lock(TRANSPORT, runsAlone(testMethod) ? ResourceAccessMode.READ_WRITE : ResourceAccessMode.READ));
    }

    static boolean runsAlone(Method test) {
        Clause clause = test.getAnnotation(Clause.class);
        return clause == null || test.getDeclaringClass() == FaultClauses.class || clause.value().equals("C18");
    }
}
