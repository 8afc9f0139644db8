package dev.netra.inject;

import tools.jackson.core.JacksonException;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** {@code netra inject}: Kubernetes YAML in, the same with netra added (or removed) out. */
public final class Main {
    static final String USAGE = """
            usage: netra inject [-f FILE|-] [--uninject] [--classic] [--init-image IMAGE] [--sidecar-image IMAGE]

            Reads Kubernetes YAML (several documents, a List too) from FILE or standard input and writes
            it to standard output with netra-init and the netra sidecar added to every Pod, Deployment,
            StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob; other kinds pass
            through. Injecting twice equals injecting once; --uninject gives the original back.

              -f FILE, -f -        the input (default: standard input)
              --uninject           remove what netra added
              --classic            the sidecar as a regular container (Kubernetes before 1.29)
              --init-image IMAGE   default $NETRA_INIT_IMAGE, else netra-init:dev
              --sidecar-image IMAGE  default $NETRA_SIDECAR_IMAGE, else netra-sidecar:dev

            Pod template annotations: netra.io/inject (enabled|disabled), netra.io/service-name,
            netra.io/http-ports, netra.io/http2-ports, netra.io/inbound-ports, netra.io/outbound-ports,
            netra.io/exclude-inbound-ports, netra.io/exclude-outbound-ports, netra.io/exclude-outbound-cidrs,
            netra.io/tracing-endpoint, netra.io/sampling, netra.io/proxy-{cpu,memory}-{request,limit}.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        String file = "-";
        boolean uninject = false;
        Injector.Mode mode = Injector.Mode.NATIVE;
        String init = envOr("NETRA_INIT_IMAGE", "netra-init:dev");
        String sidecar = envOr("NETRA_SIDECAR_IMAGE", "netra-sidecar:dev");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return 0;
                }
                case "--uninject" -> uninject = true;
                case "--classic" -> mode = Injector.Mode.CLASSIC;
                case "-f", "--init-image", "--sidecar-image" -> {
                    if (i + 1 >= args.length) {
                        return usage(a + " needs a value");
                    }
                    String v = args[++i];
                    switch (a) {
                        case "-f" -> file = v;
                        case "--init-image" -> init = v;
                        default -> sidecar = v;
                    }
                }
                default -> {
                    return usage("unknown argument '" + a + "'");
                }
            }
        }
        Manifests manifests = new Manifests(new Injector(new Injector.Images(init, sidecar), mode), uninject,
                w -> System.err.println("netra inject: " + w));
        try (Reader in = file.equals("-") ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            manifests.process(in, System.out);
            return 0;
        } catch (NoSuchFileException e) {
            System.err.println("netra inject: no such file: " + file);
        } catch (IOException e) {
            System.err.println("netra inject: cannot read " + file + ": " + e.getMessage());
        } catch (InjectException e) {
            System.err.println("netra inject: " + e.getMessage());
        } catch (JacksonException e) {
            System.err.println("netra inject: " + file + " is not Kubernetes YAML: " + e.getOriginalMessage());
        }
        return 1;
    }

    private static int usage(String why) {
        System.err.println("netra inject: " + why + "\n" + USAGE);
        return 64;
    }

    static String envOr(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : v;
    }
}
