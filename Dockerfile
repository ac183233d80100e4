# syntax=docker/dockerfile:1
#
# WeaselDB server image.
#   docker build -t weaseldb:0.1.0 .
#   docker run --rm -p 8080:8080 -v weaseldb-data:/var/lib/weaseldb weaseldb:0.1.0
#
# No HEALTHCHECK on purpose: liveness (/live) and readiness (/ready) are probed by the
# orchestrator (see deploy/helm/weaseldb), which can tell the two apart; Docker's single
# health bit cannot.

# Any JDK >= 21 builds it (.mvn/jvm.config's --sun-misc-unsafe-memory-access, which quiets Maven's own
# Unsafe warnings on JDK 24+, is ignored by older JVMs); the images default to 25.
ARG JDK_IMAGE=eclipse-temurin:25-jdk
ARG JRE_IMAGE=eclipse-temurin:25-jre

FROM ${JDK_IMAGE} AS build
WORKDIR /src
# Wrapper and pom first so the dependency download layer survives source-only changes.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src src
COPY config config
# The cache mount keeps ~/.m2 between builds without baking it into a layer.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests package \
 && test -f target/weaseldb.jar
# The shipped config is the repository default with two container facts imposed: listen on
# every interface, keep data on the volume. Fail the build if either key has moved, rather
# than ship an image that writes into its read-only root or listens on loopback only.
RUN sed -i -E \
      -e 's|^([[:space:]]*)bind_address[[:space:]]*=.*|\1bind_address = "0.0.0.0"|' \
      -e 's|^([[:space:]]*)data_dir[[:space:]]*=.*|\1data_dir = "/var/lib/weaseldb"|' \
      config/weaseldb.toml \
 && grep -Eq '^[[:space:]]*bind_address = "0.0.0.0"' config/weaseldb.toml \
 && grep -Eq '^[[:space:]]*data_dir = "/var/lib/weaseldb"' config/weaseldb.toml

FROM ${JRE_IMAGE}
# Fixed numeric ids so Kubernetes' runAsNonRoot can verify them and volume ownership
# (fsGroup) is predictable.
RUN groupadd --system --gid 10001 weaseldb \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin weaseldb \
 && mkdir -p /opt/weaseldb /etc/weaseldb /var/lib/weaseldb \
 && chown 10001:10001 /var/lib/weaseldb
COPY --from=build /src/target/weaseldb.jar /opt/weaseldb/weaseldb.jar
COPY --from=build /src/config/weaseldb.toml /etc/weaseldb/weaseldb.toml
VOLUME ["/var/lib/weaseldb"]
WORKDIR /var/lib/weaseldb
USER 10001:10001
EXPOSE 8080
# Heap sized from the container's memory limit; die (and get restarted) on OOM rather than
# limp on. (The server uses JCTools' atomic queues only: no sun.misc.Unsafe warning to allow.)
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75.0 -XX:MaxGCPauseMillis=10 -XX:+ExitOnOutOfMemoryError"
# sh -c so $JAVA_OPTS is word-split; exec so java is PID 1 and receives SIGTERM directly
# (graceful drain). Arguments (CMD, or Kubernetes `args`) arrive as "$@".
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /opt/weaseldb/weaseldb.jar \"$@\"", "weaseldb"]
CMD ["--config", "/etc/weaseldb/weaseldb.toml"]
