package dev.netra.sidecar.trace;

import dev.netra.sidecar.http.HeaderEditor;
import dev.netra.sidecar.http.HeaderEditor.HeaderName;
import dev.netra.sidecar.http.HttpHead;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/** Lets OpenTelemetry propagators read a request head and write through the header editor. */
final class HeadCarrier {
    private static final ConcurrentHashMap<String, byte[]> LOWER = new ConcurrentHashMap<>();
    private static final byte[] UBERCTX = HttpHead.bytes("uberctx-");
    private static final ConcurrentHashMap<String, HeaderName> NAMES = new ConcurrentHashMap<>();

    static final TextMapGetter<HttpHead> GETTER = new TextMapGetter<>() {
        /**
         * Only the Jaeger propagator enumerates keys, looking for {@code uberctx-*} baggage; listing
         * just those spares lower-casing every header name of every request.
         */
        @Override
        public Iterable<String> keys(HttpHead head) {
            List<String> keys = null;
            for (int i = 0; i < head.headerCount(); i++) {
                if (head.nameStartsWith(i, UBERCTX)) {
                    if (keys == null) {
                        keys = new ArrayList<>(2);
                    }
                    keys.add(head.name(i).toLowerCase(Locale.ROOT));
                }
            }
            return keys == null ? List.of() : keys;
        }

        @Override
        public String get(HttpHead head, String key) {
            return head == null ? null : head.value(lower(key));
        }
    };

    static final TextMapSetter<HeaderEditor> SETTER = (editor, key, value) -> {
        if (editor != null) {
            HeaderName name = NAMES.get(key);
            if (name == null) {
                name = HeaderName.of(key);
                if (NAMES.size() < 256) {
                    NAMES.put(key, name);
                }
            }
            editor.set(name, value);
        }
    };

    private HeadCarrier() {
    }

    /** Cached for the propagators' fixed names; names read from requests (baggage) are not kept beyond a bound. */
    private static byte[] lower(String key) {
        byte[] b = LOWER.get(key);
        if (b == null) {
            b = key.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            if (LOWER.size() < 256) {
                LOWER.put(key, b);
            }
        }
        return b;
    }
}
