package dev.netra.inject;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The mutating admission webhook: AdmissionReview v1 over HTTPS, answered with a JSON Patch
 * computed by the same {@link Injector} as {@code netra inject}. It never blocks a pod: anything
 * unexpected (a malformed review, another kind, a bad annotation) is answered "allowed" without a
 * patch and with a warning, never an error status.
 *
 * <ul>
 *   <li>{@code POST /mutate}: a pod is injected when it asks for it ({@code netra.io/inject:
 *       enabled}, annotation or label).</li>
 *   <li>{@code POST /mutate/namespace}: for namespaces labelled {@code netra.io/inject=enabled}
 *       (the webhook configuration's namespace selector): every pod is injected unless it says
 *       {@code netra.io/inject: disabled}.</li>
 *   <li>{@code /ready}, {@code /live}, {@code /metrics}.</li>
 * </ul>
 */
public final class Webhook implements AutoCloseable {
    /** A pod is far smaller; a review above this is not read. */
    static final int MAX_REVIEW_BYTES = 4 << 20;
    private final Injector injector;
    private final HttpsServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final JsonMapper json = JsonMapper.builder().build();
    private final CounterDataPoint injected;
    private final CounterDataPoint skipped;
    private final CounterDataPoint errors;

    public Webhook(int port, TlsFiles tls, Injector injector) throws IOException, GeneralSecurityException {
        this.injector = injector;
        // a review must arrive in 10 s; idle and abusive connections cannot pile up
        System.setProperty("jdk.httpserver.maxConnections", "256");
        System.setProperty("sun.net.httpserver.maxReqTime", "10");
        System.setProperty("sun.net.httpserver.maxRspTime", "10");
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter reviews = Counter.builder().name("netra_injector_reviews_total")
                .help("Admission reviews answered: injected, skipped (not asked for, already meshed, not a pod), or error (allowed unchanged)")
                .labelNames("result").register(registry);
        injected = reviews.labelValues("injected");
        skipped = reviews.labelValues("skipped");
        errors = reviews.labelValues("error");
        server = HttpsServer.create(new InetSocketAddress(port), 128);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
        server.createContext("/mutate", ex -> review(ex, false));
        server.createContext("/mutate/namespace", ex -> review(ex, true));
        server.createContext("/ready", ex -> respond(ex, 200, "text/plain", "ready\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/live", ex -> respond(ex, 200, "text/plain", "live\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/metrics", new MetricsHandler(registry));
        server.setExecutor(executor);
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void review(HttpExchange ex, boolean namespaceEnabled) throws IOException {
        List<String> warnings = new ArrayList<>();
        String uid = "";
        String patch = null;
        try {
            if (!"POST".equals(ex.getRequestMethod())) {
                respond(ex, 405, "text/plain", "POST an AdmissionReview\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            JsonNode review = json.readTree(read(ex.getRequestBody()));
            JsonNode request = review.path("request");
            uid = request.path("uid").asString("");
            patch = patch(request, namespaceEnabled, warnings);
        } catch (ReviewTooLarge e) {
            warnings.add("netra: the review is larger than " + MAX_REVIEW_BYTES + " bytes: not injected");
        } catch (JacksonException e) {
            warnings.add("netra: the review is not JSON: not injected");
        } catch (InjectException e) {
            warnings.add("netra: not injected: " + e.getMessage());
        } catch (RuntimeException e) {
            warnings.add("netra: not injected (injector bug: " + e + ")");
        }
        if (patch != null) {
            injected.inc();
        } else if (warnings.isEmpty()) {
            skipped.inc();
        } else {
            errors.inc();
        }
        ObjectNode response = json.createObjectNode();
        response.put("uid", uid);
        response.put("allowed", true);
        if (patch != null) {
            response.put("patchType", "JSONPatch");
            response.put("patch", Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)));
        }
        if (!warnings.isEmpty()) {
            response.set("warnings", json.valueToTree(warnings));
        }
        ObjectNode out = json.createObjectNode();
        out.put("apiVersion", "admission.k8s.io/v1");
        out.put("kind", "AdmissionReview");
        out.set("response", response);
        respond(ex, 200, "application/json", json.writeValueAsBytes(out));
    }

    /** The JSON Patch that injects the review's pod, or null when it is not to be injected. */
    private String patch(JsonNode request, boolean namespaceEnabled, List<String> warnings) {
        if (!"Pod".equals(request.path("kind").path("kind").asString("")) || !(request.get("object") instanceof ObjectNode pod)) {
            warnings.add("netra: not a pod creation (kind " + request.path("kind").path("kind").asString("?") + "): not injected");
            return null;
        }
        JsonNode metadata = pod.path("metadata");
        String asked = metadata.path("annotations").path(Annotations.INJECT).asString(
                metadata.path("labels").path(Annotations.INJECT).asString(""));
        if (asked.equals("disabled") || !namespaceEnabled && !asked.equals("enabled")) {
            return null;
        }
        if (metadata.path("annotations").has(Annotations.STATUS)) {
            return null; // injected already (by netra inject, or a second webhook call)
        }
        String other = Injector.meshedBy(pod);
        if (other != null) {
            warnings.add("netra: the pod is already meshed by " + other + ": not injected");
            return null;
        }
        String workload = workloadName(pod);
        String namespace = request.path("namespace").asString("");
        ObjectNode changed = pod.deepCopy();
        injector.inject(changed, "pod/" + (namespace.isEmpty() ? "" : namespace + "/") + workload, workload);
        ArrayNode ops = json.createArrayNode();
        ops.addObject().put("op", "add").put("path", "/metadata/annotations").set("value", changed.path("metadata").get("annotations"));
        ops.addObject().put("op", "replace").put("path", "/spec").set("value", changed.get("spec"));
        return json.writeValueAsString(ops);
    }

    /**
     * The name of the workload a pod belongs to, for its spans: its {@code app.kubernetes.io/name}
     * or {@code app} label, else its owner (a ReplicaSet without its pod-template hash, i.e. the
     * Deployment), else its generated or given name.
     */
    static String workloadName(JsonNode pod) {
        JsonNode metadata = pod.path("metadata");
        Map<String, String> labels = Injector.strings(metadata.get("labels"));
        for (String key : List.of("app.kubernetes.io/name", "app")) {
            if (labels.containsKey(key)) {
                return labels.get(key);
            }
        }
        JsonNode owner = metadata.path("ownerReferences").path(0);
        String ownerName = owner.path("name").asString("");
        if (!ownerName.isEmpty()) {
            String hash = labels.get("pod-template-hash");
            if ("ReplicaSet".equals(owner.path("kind").asString("")) && hash != null && ownerName.endsWith("-" + hash)) {
                return ownerName.substring(0, ownerName.length() - hash.length() - 1);
            }
            return ownerName;
        }
        String name = metadata.path("name").asString("");
        return name.isEmpty() ? metadata.path("generateName").asString("pod").replaceAll("-+$", "") : name;
    }

    private static final class ReviewTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static byte[] read(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_REVIEW_BYTES + 1);
        if (body.length > MAX_REVIEW_BYTES) {
            throw new ReviewTooLarge();
        }
        return body;
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
