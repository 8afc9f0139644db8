# netra-init: writes the pod's iptables rules and exits. Needs NET_ADMIN, not privileged.
FROM netra-base-iptables:bookworm
COPY jre /opt/netra/jre
COPY bin/netra /opt/netra/bin/netra
COPY scripts/lib.sh /opt/netra/scripts/lib.sh
COPY lib/netra-init.jar /opt/netra/lib/netra-init.jar
ENV JAVA_HOME=/opt/netra/jre
ENTRYPOINT ["/opt/netra/bin/netra", "init"]
