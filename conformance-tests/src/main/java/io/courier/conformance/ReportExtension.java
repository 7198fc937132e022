package io.courier.conformance;

import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Records each conformance test's outcome under its {@link Clause} and writes the report after the class. */
final class ReportExtension implements TestWatcher, AfterAllCallback {

    @Override
    public void testSuccessful(ExtensionContext ctx) { record(ctx, "pass", ""); }

    @Override
    public void testFailed(ExtensionContext ctx, Throwable cause) {
        record(ctx, "fail", String.valueOf(cause.getMessage()).lines().findFirst().orElse(cause.toString()));
    }

    @Override
    public void testAborted(ExtensionContext ctx, Throwable cause) {
        String msg = String.valueOf(cause.getMessage());
        if (msg.startsWith(ConformanceSuite.UNSUPPORTED)) record(ctx, "unsupported", msg.substring(ConformanceSuite.UNSUPPORTED.length()));
        else record(ctx, "not-run", msg.startsWith(ConformanceSuite.NOT_RUN) ? msg.substring(ConformanceSuite.NOT_RUN.length()) : msg);
    }

    @Override
    public void testDisabled(ExtensionContext ctx, Optional<String> reason) { record(ctx, "not-run", reason.orElse("disabled")); }

    private void record(ExtensionContext ctx, String status, String detail) {
        Clause clause = ctx.getRequiredTestMethod().getAnnotation(Clause.class);
        if (clause == null) return;
        Object instance = ctx.getTestInstance().orElse(null);
        if (instance instanceof ConformanceSuite suite && suite.report() != null) {
            suite.report().record(new ConformanceReport.TestResult(clause.value(), ctx.getRequiredTestMethod().getName(), status, detail));
        }
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        Object instance = ctx.getTestInstance().orElse(null);
        if (instance instanceof ConformanceSuite suite && suite.report() != null) {
            suite.beforeReport(suite.report());
            if (suite.writesReport()) suite.report().write(ConformanceReport.defaultDir());
        }
    }
}
