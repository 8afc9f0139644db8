# The netra sidecar: a jlink'd Java 25 runtime and one jar on a minimal Debian, run as uid 1337.
FROM netra-base:bookworm
COPY jre /opt/netra/jre
COPY bin/netra /opt/netra/bin/netra
COPY scripts/lib.sh /opt/netra/scripts/lib.sh
COPY lib/netra-sidecar.jar /opt/netra/lib/netra-sidecar.jar
ENV JAVA_HOME=/opt/netra/jre
USER 1337:1337
EXPOSE 14956 14958
ENTRYPOINT ["/opt/netra/bin/netra", "sidecar"]
