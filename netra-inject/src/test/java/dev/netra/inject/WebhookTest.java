package dev.netra.inject;

import io.fabric8.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The webhook over real HTTPS with AdmissionReview v1 requests shaped as the API server sends
 * them (the Kubernetes documentation's example, with a pod a ReplicaSet creates): the patch it
 * answers, applied by a JSON Patch library, gives exactly what {@code netra inject} gives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Injector INJECTOR = new Injector(new Injector.Images("netra-init:1.0", "netra-sidecar:1.0"),
            Injector.Mode.NATIVE);
    private Path dir;
    private Path cert;
    private Path key;
    private Webhook webhook;
    private HttpClient client;

    /** A self-signed certificate for localhost, by openssl, as a cluster's cert tooling would make one. */
    private void certificate(Path certFile, Path keyFile, String cn) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", keyFile.toString(), "-out", certFile.toString(), "-subj", "/CN=" + cn,
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("netra-webhook-test");
        cert = dir.resolve("tls.crt");
        key = dir.resolve("tls.key");
        certificate(cert, key, "netra-injector-1");
        webhook = new Webhook(0, new TlsFiles(cert, key), INJECTOR);
        webhook.start();
        client = trusting(cert);
    }

    @AfterAll
    void stop() throws IOException {
        webhook.close();
        client.close();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    private static Certificate certificateIn(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A pod creation by the ReplicaSet of Deployment "shop", as the API server reviews it. */
    private static ObjectNode review(String podAnnotations, String kind) {
        return (ObjectNode) JSON.readTree("""
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                 "request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
                  "kind":{"group":"","version":"v1","kind":"%s"},
                  "resource":{"group":"","version":"v1","resource":"pods"},
                  "requestKind":{"group":"","version":"v1","kind":"%s"},
                  "requestResource":{"group":"","version":"v1","resource":"pods"},
                  "name":"","namespace":"prod","operation":"CREATE",
                  "userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller",
                   "uid":"014fbff9a07c","groups":["system:serviceaccounts","system:authenticated"]},
                  "object":{"apiVersion":"v1","kind":"Pod",
                   "metadata":{"generateName":"shop-7d9f5c-","namespace":"prod",
                    "labels":{"pod-template-hash":"7d9f5c","tier":"web"},
                    "annotations":{%s},
                    "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"shop-7d9f5c",
                     "uid":"6c4b7ad2","controller":true,"blockOwnerDeletion":true}]},
                   "spec":{"containers":[{"name":"app","image":"shop:1","resources":{}}],"restartPolicy":"Always",
                    "dnsPolicy":"ClusterFirst","serviceAccountName":"default"}},
                  "oldObject":null,"dryRun":false,
                  "options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}
                """.formatted(kind, kind, podAnnotations));
    }

    private JsonNode answer(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode review = JSON.readTree(r.body());
        assertEquals("AdmissionReview", review.path("kind").asString());
        assertTrue(review.path("response").path("allowed").asBoolean(), "never blocks a pod: " + r.body());
        return review.path("response");
    }

    private static JsonNode patched(JsonNode response, JsonNode pod) {
        assertEquals("JSONPatch", response.path("patchType").asString());
        JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asString()));
        return JsonPatch.apply(patch, pod);
    }

    @Test
    void anOptedInPodIsPatchedToExactlyWhatInjectGives() throws Exception {
        ObjectNode review = review("\"netra.io/inject\":\"enabled\",\"netra.io/http-ports\":\"8080\"", "Pod");
        JsonNode response = answer("/mutate", review.toString());
        assertEquals("705ab4f5-6393-11e8-b7cc-42010a800002", response.path("uid").asString());
        assertNull(response.get("warnings"));
        ObjectNode pod = (ObjectNode) review.path("request").path("object");
        ObjectNode expected = pod.deepCopy();
        INJECTOR.inject(expected, "pod/prod/shop", "shop");
        assertEquals(JSON.readTree(expected.toString()), patched(response, pod));
        assertEquals(List.of("--service-name", "shop"), List.of(expected.path("spec").path("initContainers").path(1)
                .path("args").path(0).asString(), expected.path("spec").path("initContainers").path(1).path("args").path(1).asString()),
                "the Deployment's name, from the ReplicaSet owner without its pod-template hash");
    }

    @Test
    void podsThatDoNotAskAreLeftAloneUnlessTheirNamespaceAsks() throws Exception {
        ObjectNode review = review("", "Pod");
        JsonNode plain = answer("/mutate", review.toString());
        assertNull(plain.get("patch"));
        assertNull(plain.get("warnings"));
        JsonNode byNamespace = answer("/mutate/namespace", review.toString());
        ObjectNode expected = ((ObjectNode) review.path("request").path("object")).deepCopy();
        INJECTOR.inject(expected, "pod/prod/shop", "shop");
        assertEquals(JSON.readTree(expected.toString()), patched(byNamespace, review.path("request").path("object")));
        JsonNode optedOut = answer("/mutate/namespace", review("\"netra.io/inject\":\"disabled\"", "Pod").toString());
        assertNull(optedOut.get("patch"), "netra.io/inject: disabled wins over the namespace");
    }

    @Test
    void anInjectedOrOtherwiseMeshedPodIsNotInjectedAgain() throws Exception {
        ObjectNode review = review("\"netra.io/inject\":\"enabled\"", "Pod");
        ObjectNode pod = (ObjectNode) review.path("request").path("object");
        INJECTOR.inject(pod, "pod/prod/shop", "shop");
        assertNull(answer("/mutate", review.toString()).get("patch"));
        JsonNode istio = answer("/mutate/namespace", review("\"sidecar.istio.io/status\":\"{}\"", "Pod").toString());
        assertNull(istio.get("patch"));
        assertTrue(istio.path("warnings").path(0).asString().contains("Istio"), istio.toString());
    }

    @Test
    void malformedOrUnexpectedReviewsAreAllowedWithAWarning() throws Exception {
        JsonNode garbage = answer("/mutate", "{not json");
        assertTrue(garbage.path("warnings").path(0).asString().contains("not JSON"), garbage.toString());
        JsonNode deployment = answer("/mutate/namespace", review("", "Deployment").toString());
        assertNull(deployment.get("patch"));
        assertTrue(deployment.path("warnings").path(0).asString().contains("not a pod"), deployment.toString());
        JsonNode bad = answer("/mutate", review("\"netra.io/inject\":\"enabled\",\"netra.io/sampling\":\"lots\"", "Pod").toString());
        assertNull(bad.get("patch"));
        assertTrue(bad.path("warnings").path(0).asString().contains("netra.io/sampling='lots'"), bad.toString());
        JsonNode empty = answer("/mutate", "{}");
        assertEquals("", empty.path("uid").asString());
        assertEquals(405, client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + "/mutate")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void reviewsAreCountedAndProbesAnswer() throws Exception {
        answer("/mutate", review("\"netra.io/inject\":\"enabled\"", "Pod").toString());
        String metrics = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("netra_injector_reviews_total{result=\"injected\"}")
                && !l.endsWith(" 0.0")), metrics);
        for (String probe : List.of("/ready", "/live")) {
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + probe)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void aRotatedCertificateIsServedWithoutARestart() throws Exception {
        Path oldCert = dir.resolve("old.crt");
        Files.copy(cert, oldCert, StandardCopyOption.REPLACE_EXISTING);
        Path newCert = dir.resolve("new.crt");
        Path newKey = dir.resolve("new.key");
        certificate(newCert, newKey, "netra-injector-2");
        // as a mounted Secret is updated: the files are replaced (and newer)
        Files.move(newKey, key, StandardCopyOption.REPLACE_EXISTING);
        Files.move(newCert, cert, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(5)));
        try (HttpClient rotated = trusting(cert); HttpClient old = trusting(oldCert)) {
            HttpResponse<String> r = rotated.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            SSLSession session = r.sslSession().orElseThrow();
            assertTrue(((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName()
                    .contains("netra-injector-2"));
            assertFalse(handshakes(old), "a new connection is served the new certificate only");
        }
        client.close();
        client = trusting(cert);
    }

    /** A client that trusts only the certificate in {@code file}. */
    private static HttpClient trusting(Path file) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificateIn(file));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private boolean handshakes(HttpClient c) throws InterruptedException {
        try {
            c.send(HttpRequest.newBuilder(URI.create("https://localhost:" + webhook.port() + "/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
