package io.weaseldb.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Network and HTTP meters. Label values come from fixed sets (route templates, status codes, error codes),
 * and the meters for a route are resolved once, so recording a request is array lookups plus adds.
 */
public final class HttpMetrics {
    private final MeterRegistry registry;
    private final Counter accepted;
    private final Counter readBytes;
    private final Counter writtenBytes;
    private final ConcurrentHashMap<String, Counter> byKind = new ConcurrentHashMap<>();

    /**
     * Request latency per route. A Prometheus client histogram registered next to Micrometer's meters rather
     * than a Micrometer Timer: it is recorded on every request, and the Timer's time-windowed max and its
     * layers cost ~7 % of the server's CPU at 1000 connections. Null when metrics are off.
     */
    private final Histogram latency;

    HttpMetrics(MeterRegistry registry, PrometheusRegistry prometheus) {
        this.registry = registry;
        this.latency = prometheus == null ? null : Histogram.builder()
            .name("weaseldb_http_request_duration_seconds")
            .help("time from a request's first byte to its response queued")
            .labelNames("route")
            .classicOnly()
            .classicUpperBounds(Metrics.latencyBoundsSeconds())
            .withoutExemplars()
            .register(prometheus);
        this.accepted = Counter.builder("weaseldb.connections.accepted").description("TCP connections accepted").register(registry);
        this.readBytes = Counter.builder("weaseldb.http.read").baseUnit("bytes").description("bytes read from clients").register(registry);
        this.writtenBytes = Counter.builder("weaseldb.http.written").baseUnit("bytes").description("bytes written to clients").register(registry);
        // Register the known label values up front so every series exists (at 0) from the first scrape:
        // rate() and dashboards need the series before the first event.
        rejected("max_connections", 0);
        rejected("accept_failed", 0);
        for (String k : TIMEOUT_KINDS) timeout(k, 0);
        for (String k : PARSE_ERROR_KINDS) parseError(k, 0);
    }

    /**
     * Timeout kinds: request (408), keepalive (idle close), write (client stopped reading), body_pace (408: a
     * body fell behind the pace its budget reservation needs).
     */
    public static final String[] TIMEOUT_KINDS = {"request", "keepalive", "write", "body_pace"};
    private static final String TIMEOUTS_DESCRIPTION = "connections timed out (" + String.join(", ", TIMEOUT_KINDS) + ")";
    /** Error codes of requests refused before a handler ran (HttpException codes). */
    public static final String[] PARSE_ERROR_KINDS = {"bad_request", "uri_too_long", "header_too_large",
        "payload_too_large", "unsupported_media_type", "not_implemented", "version_not_supported", "request_timeout", "internal_error",
        "overloaded"};

    /** Registers the open-connections and live-connection-threads gauges. */
    public void bindConnectionGauges(Supplier<Number> open, Supplier<Number> threads) {
        Gauge.builder("weaseldb.connections.open", open).description("connections currently open").register(registry);
        Gauge.builder("weaseldb.connection.threads", threads).description("live per-connection virtual threads").register(registry);
    }

    public void accepted() { accepted.increment(); }

    public void rejected(String reason) {
        rejected(reason, 1);
    }

    public void parseError(String kind) {
        parseError(kind, 1);
    }

    public void timeout(String kind) {
        timeout(kind, 1);
    }

    private void rejected(String reason, int n) {
        kind("weaseldb.connections.rejected", "reason", reason, "connections refused").increment(n);
    }

    private void parseError(String kind, int n) {
        kind("weaseldb.http.parse.errors", "kind", kind, "requests refused by the parser, by error code").increment(n);
    }

    private void timeout(String kind, int n) {
        kind("weaseldb.http.timeouts", "kind", kind, TIMEOUTS_DESCRIPTION).increment(n);
    }

    public void bytes(long read, long written) {
        if (read > 0) readBytes.increment(read);
        if (written > 0) writtenBytes.increment(written);
    }

    private Counter kind(String name, String tag, String value, String description) {
        return byKind.computeIfAbsent(name + '\0' + value,
            k -> Counter.builder(name).tag(tag, value).description(description).register(registry));
    }

    /** Meters of one route (label = route template). */
    public RouteMetrics route(String route) {
        return new RouteMetrics(registry, route, latency == null ? null : latency.labelValues(route));
    }

    public static final class RouteMetrics {
        private final MeterRegistry registry;
        private final String route;
        private final DistributionDataPoint latency; // null when metrics are off
        private final Counter[] byMethodStatus = new Counter[16 * 600];

        RouteMetrics(MeterRegistry registry, String route, DistributionDataPoint latency) {
            this.registry = registry;
            this.route = route;
            this.latency = latency;
        }

        /** Records one answered request. {@code methodIndex} &lt; 16, {@code status} 100..599. */
        public void record(int methodIndex, String method, int status, long nanos) {
            int i = methodIndex * 600 + status;
            Counter c = byMethodStatus[i];
            if (c == null) {
                // Racy lazy init is fine: the registry returns the same counter for the same id.
                c = Counter.builder("weaseldb.http.requests").description("requests answered")
                    .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
                    .register(registry);
                byMethodStatus[i] = c;
            }
            c.increment();
            if (latency != null) latency.observe(nanos * 1e-9);
        }
    }
}
