package io.weaseldb.config;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

/** The whole validated configuration; immutable. Defaults and docs live in {@link Schema}. */
public record ServerConfig(Http http, Storage storage, Commit commit, Subscription subscription, Metrics metrics) {

    /**
     * {@code [http]}. Timeouts in seconds; sizes in bytes. {@code bindAddress} is the configured text (for messages),
     * {@code bindIp} what it resolved to when the file was checked: the server binds to that, so a name is looked up
     * once and the address checked is the address used.
     */
    public record Http(String bindAddress, InetAddress bindIp, int port, int acceptThreads, int networkThreads, int carrierThreads,
                       int keepaliveTimeoutSec, int requestTimeoutSec, int writeTimeoutSec, int drainTimeoutSec,
                       int maxConnections, long maxRequestSizeBytes, long maxInflightBodyBytes, int maxHeaderBytes,
                       int maxRequestLineBytes, Map<String, Pipeline> pipelines) {
        public Pipeline pipeline(String name) {
            return pipelines.get(name);
        }
    }

    /** {@code [http.pipelines.<name>]}; {@code layout} is "auto", "split" or "fused". */
    public record Pipeline(int ringBufferSize, int threads, String layout) { }

    /** {@code [storage]}. */
    public record Storage(Path dataDir, boolean fsync, long retainVersions, long segmentBytes) { }

    /** {@code [commit]}. */
    public record Commit(int maxKeyBytes, int maxValueBytes, int minRequestIdLength,
                         long requestIdRetentionHours, long requestIdRetentionVersions, long conflictWindowVersions) { }

    /** {@code [subscription]}. */
    public record Subscription(int keepaliveIntervalSeconds, long maxBufferSizeBytes) { }

    /** {@code [metrics]}. */
    public record Metrics(boolean enabled) { }

    /** The embedded defaults (what an empty file gives). */
    public static ServerConfig defaults() {
        try {
            return ConfigLoader.parse("<defaults>", "");
        } catch (ConfigException e) {
            throw new AssertionError(e);
        }
    }
}
