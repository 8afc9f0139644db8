package dev.netra.sidecar.log;

import dev.netra.sidecar.observe.Json;
import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.writers.Writer;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;

/**
 * NETRA_LOG_FORMAT=json: each log line as one JSON object on standard error, {@code
 * {"time":…,"level":…,"service":…,"conn":…,"message":…,"error":…,"stack":…}}. A line about one
 * connection begins "conn=ID " by convention; that id becomes the {@code conn} field. {@code error}
 * and {@code stack} appear only with an exception, the stack bounded to {@value #MAX_STACK} chars.
 * tinylog creates it by class name, with the {@code writer.*} properties ({@code service}).
 */
public final class JsonLogWriter implements Writer {
    static final int MAX_STACK = 8192;
    private final String service;
    private final PrintStream out;

    public JsonLogWriter(Map<String, String> properties) {
        this(properties.getOrDefault("service", ""), System.err);
    }

    JsonLogWriter(String service, PrintStream out) {
        this.service = service;
        this.out = out;
    }

    @Override
    public Collection<LogEntryValue> getRequiredLogEntryValues() {
        return EnumSet.of(LogEntryValue.DATE, LogEntryValue.LEVEL, LogEntryValue.MESSAGE, LogEntryValue.EXCEPTION);
    }

    @Override
    public void write(LogEntry entry) {
        byte[] bytes = (line(entry) + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
    }

    /** The JSON object for one entry, without a line end. */
    String line(LogEntry entry) {
        StringBuilder b = new StringBuilder(160).append('{');
        Json.field(b, "time", entry.getTimestamp().toInstant().toString()).append(',');
        Json.field(b, "level", entry.getLevel().name().toLowerCase(Locale.ROOT)).append(',');
        Json.field(b, "service", service).append(',');
        String message = entry.getMessage() == null ? "" : entry.getMessage();
        int idEnd = connectionIdEnd(message);
        if (idEnd > 0) {
            b.append("\"conn\":").append(message, 5, idEnd).append(',');
            message = message.substring(Math.min(idEnd + 1, message.length()));
        }
        Json.field(b, "message", message);
        Throwable error = entry.getException();
        if (error != null) {
            b.append(',');
            Json.field(b, "error", error.toString()).append(',');
            StringWriter stack = new StringWriter();
            error.printStackTrace(new PrintWriter(stack));
            String s = stack.toString();
            Json.field(b, "stack", s.length() <= MAX_STACK ? s : s.substring(0, MAX_STACK));
        }
        return b.append('}').toString();
    }

    /** The index after the digits of a leading "conn=123", or 0 when the message does not begin so. */
    private static int connectionIdEnd(String m) {
        if (!m.startsWith("conn=")) {
            return 0;
        }
        int i = 5;
        while (i < m.length() && i < 25 && m.charAt(i) >= '0' && m.charAt(i) <= '9') {
            i++;
        }
        return i > 5 && (i == m.length() || m.charAt(i) == ' ') ? i : 0;
    }

    @Override
    public void flush() {
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }
}
