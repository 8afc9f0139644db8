# Stand-in apps for the it-tests (not shipped to users).
FROM netra-base:bookworm
COPY jre /opt/netra/jre
COPY bin/netra /opt/netra/bin/netra
COPY scripts/lib.sh /opt/netra/scripts/lib.sh
COPY lib/netra-testapp.jar /opt/netra/lib/netra-testapp.jar
ENV JAVA_HOME=/opt/netra/jre
ENTRYPOINT ["/opt/netra/bin/netra", "testapp"]
