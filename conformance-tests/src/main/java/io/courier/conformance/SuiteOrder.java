package io.courier.conformance;

import java.lang.reflect.Method;
import java.util.Comparator;
import org.junit.jupiter.api.MethodDescriptor;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;

/**
 * Runs the suite's tests in the order JUnit gave them when {@link ConformanceSuite} was one class: JUnit's own order
 * within a class (by the hash of the method name, then the name), with every clause family counted as that one class
 * and a transport's test class's own tests after it. The split into families thus changes no run: a fault test still
 * follows and precedes the same tests as before.
 */
final class SuiteOrder implements MethodOrderer {
    private static final Comparator<Method> JUNIT_DEFAULT = Comparator.<Method>comparingInt(m -> m.getName().hashCode())
            .thenComparing(Method::getName).thenComparing(Method::toString);

    @Override
    public void orderMethods(MethodOrdererContext context) {
        context.getMethodDescriptors().sort(Comparator.<MethodDescriptor>comparingInt(d -> depth(d.getMethod().getDeclaringClass()))
                .thenComparing(MethodDescriptor::getMethod, JUNIT_DEFAULT));
    }

    /** 0 for {@link ConformanceSuite} and the families it extends, 1 for a class extending it, and so on. */
    private static int depth(Class<?> declaring) {
        int depth = 0;
        for (Class<?> c = declaring; c != null && !c.isAssignableFrom(ConformanceSuite.class); c = c.getSuperclass()) depth++;
        return depth;
    }
}
