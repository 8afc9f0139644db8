package dev.netra.sidecar.log;

import org.tinylog.Level;
import org.tinylog.core.TinylogLoggingProvider;
import org.tinylog.format.MessageFormatter;

/**
 * tinylog's own provider behind {@link LogGate}: a line below the gate's level is dropped before
 * tinylog builds anything for it. Chosen by {@link Logging} through tinylog's {@code provider} property.
 */
public final class GatedLoggingProvider extends TinylogLoggingProvider {

    @Override
    public boolean isEnabled(int depth, String tag, Level level) {
        return LogGate.allows(level) && super.isEnabled(depth + 1, tag, level);
    }

    @Override
    public boolean isEnabled(String loggerClassName, String tag, Level level) {
        return LogGate.allows(level) && super.isEnabled(loggerClassName, tag, level);
    }

    @Override
    public void log(int depth, String tag, Level level, Throwable exception, MessageFormatter formatter, Object obj,
                    Object... arguments) {
        if (LogGate.allows(level)) {
            super.log(depth + 1, tag, level, exception, formatter, obj, arguments);
        }
    }

    @Override
    public void log(String loggerClassName, String tag, Level level, Throwable exception, MessageFormatter formatter,
                    Object obj, Object... arguments) {
        if (LogGate.allows(level)) {
            super.log(loggerClassName, tag, level, exception, formatter, obj, arguments);
        }
    }
}
