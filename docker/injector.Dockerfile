# netra injector: the mutating admission webhook (bin/netra injector), as a Deployment runs it.
FROM netra-base:bookworm
COPY jre /opt/netra/jre
COPY bin/netra /opt/netra/bin/netra
COPY scripts/lib.sh /opt/netra/scripts/lib.sh
COPY lib/netra-inject.jar /opt/netra/lib/netra-inject.jar
ENV JAVA_HOME=/opt/netra/jre
USER 1337:1337
EXPOSE 8443
ENTRYPOINT ["/opt/netra/bin/netra", "injector"]
