package dev.netra.inject;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/** {@code netra injector}: the mutating admission webhook. */
public final class WebhookMain {
    static final String USAGE = """
            usage: netra injector [--port 8443] [--tls-cert FILE] [--tls-key FILE] [--classic]
                                  [--init-image IMAGE] [--sidecar-image IMAGE]

            A mutating admission webhook (AdmissionReview v1 over HTTPS) that adds netra to pods as
            netra inject does: POST /mutate injects pods annotated (or labelled) netra.io/inject: enabled;
            POST /mutate/namespace injects every pod of a namespace labelled netra.io/inject=enabled
            unless it says netra.io/inject: disabled. Never blocks a pod: anything unexpected is allowed
            unchanged, with a warning. Also /ready, /live and /metrics.

              --port PORT          HTTPS port (default 8443)
              --tls-cert FILE      PEM certificate chain (default /etc/netra/tls/tls.crt), read again when it changes
              --tls-key FILE       PEM PKCS#8 key (default /etc/netra/tls/tls.key), read again when it changes
              --classic            the sidecar as a regular container (Kubernetes before 1.29)
              --init-image IMAGE   default $NETRA_INIT_IMAGE, else netra-init:dev
              --sidecar-image IMAGE  default $NETRA_SIDECAR_IMAGE, else netra-sidecar:dev
            """;

    private WebhookMain() {
    }

    public static void main(String[] args) {
        int port = 8443;
        String cert = "/etc/netra/tls/tls.crt";
        String key = "/etc/netra/tls/tls.key";
        Injector.Mode mode = Injector.Mode.NATIVE;
        String init = Main.envOr("NETRA_INIT_IMAGE", "netra-init:dev");
        String sidecar = Main.envOr("NETRA_SIDECAR_IMAGE", "netra-sidecar:dev");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--classic" -> mode = Injector.Mode.CLASSIC;
                case "--port", "--tls-cert", "--tls-key", "--init-image", "--sidecar-image" -> {
                    if (i + 1 >= args.length) {
                        usage(a + " needs a value");
                    }
                    String v = args[++i];
                    switch (a) {
                        case "--port" -> port = port(v);
                        case "--tls-cert" -> cert = v;
                        case "--tls-key" -> key = v;
                        case "--init-image" -> init = v;
                        default -> sidecar = v;
                    }
                }
                default -> usage("unknown argument '" + a + "'");
            }
        }
        try {
            Webhook webhook = new Webhook(port, new TlsFiles(Path.of(cert), Path.of(key)),
                    new Injector(new Injector.Images(init, sidecar), mode));
            webhook.start();
            System.err.println("netra injector: serving on :" + webhook.port() + " (" + mode.name().toLowerCase(java.util.Locale.ROOT)
                    + " sidecar, images " + init + " and " + sidecar + ")");
        } catch (IOException | GeneralSecurityException e) {
            System.err.println("netra injector: cannot start: " + e.getMessage());
            System.exit(1);
        }
    }

    private static int port(String v) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        usage("--port " + v + ": expected a port 1-65535");
        return -1;
    }

    private static void usage(String why) {
        System.err.println("netra injector: " + why + "\n" + USAGE);
        System.exit(64);
    }
}
