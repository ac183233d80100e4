package io.weaseldb.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.java21.instrument.binder.jdk.VirtualThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;

/**
 * The process's meter registry. Enabled: a Prometheus registry with JVM, GC, process and virtual-thread
 * binders. Disabled: an empty composite registry, whose meters are no-ops, so recording costs nothing
 * and the code that records does not change.
 */
public final class Metrics implements AutoCloseable {
    /** Latency buckets (seconds): sub-millisecond to seconds, so dashboards can show p50/p99/p999. */
    public static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(25_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofNanos(2_500_000_000L),
        Duration.ofSeconds(5), Duration.ofSeconds(10),
    };

    /** Bucket bounds of every weaseldb summary (batch and group sizes): powers of two. */
    private static final double[] SIZE_BUCKETS = new double[17];

    static {
        for (int i = 0; i < SIZE_BUCKETS.length; i++) SIZE_BUCKETS[i] = 1 << i;
    }

    /**
     * Every weaseldb histogram gets the same fixed, short bucket list (21 latency buckets from 1 µs to 10 s,
     * or 17 size buckets) instead of Micrometer's ~70-276 percentile buckets, and one histogram buffer
     * instead of a ring of three: fewer series per scrape and fewer atomic updates per recording.
     */
    private static final MeterFilter FIXED_BUCKETS = new MeterFilter() {
        @Override
        public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
            if (!id.getName().startsWith("weaseldb.")) return config;
            double[] bounds;
            if (id.getType() == Meter.Type.TIMER) {
                bounds = latencyBoundsSeconds();
                for (int i = 0; i < bounds.length; i++) bounds[i] = Math.rint(bounds[i] * 1e9); // timers record nanoseconds
            } else {
                bounds = SIZE_BUCKETS;
            }
            return DistributionStatisticConfig.builder()
                .percentilesHistogram(false)
                .serviceLevelObjectives(bounds)
                .bufferLength(1)
                .build()
                .merge(config);
        }
    };

    /** {@link #LATENCY_BUCKETS} plus 1, 5 and 10 µs, in seconds: the bucket bounds of every latency histogram. */
    static double[] latencyBoundsSeconds() {
        double[] b = new double[3 + LATENCY_BUCKETS.length];
        b[0] = 1e-6;
        b[1] = 5e-6;
        b[2] = 1e-5;
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) b[3 + i] = LATENCY_BUCKETS[i].toNanos() * 1e-9;
        return b;
    }

    private final MeterRegistry registry;
    private final PrometheusMeterRegistry prometheus; // null when disabled
    private final VirtualThreadMetrics virtualThreads;
    private final HttpMetrics http;

    private Metrics(boolean enabled) {
        if (enabled) {
            prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry = prometheus;
            registry.config()
                .meterFilter(FIXED_BUCKETS)
                // promtool lints these two binder names (abbreviated unit; a "_count" suffix on a gauge).
                .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.available.processors") : id;
                    }
                });
            new JvmMemoryMetrics().bindTo(registry);
            new JvmGcMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            new FileDescriptorMetrics().bindTo(registry);
            virtualThreads = new VirtualThreadMetrics();
            virtualThreads.bindTo(registry);
        } else {
            prometheus = null;
            registry = new CompositeMeterRegistry();
            virtualThreads = null;
        }
        http = new HttpMetrics(registry, prometheus == null ? null : prometheus.getPrometheusRegistry());
    }

    public static Metrics create(boolean enabled) {
        return new Metrics(enabled);
    }

    public boolean enabled() { return prometheus != null; }

    public MeterRegistry registry() { return registry; }

    public HttpMetrics http() { return http; }

    /** Content type of {@link #scrape} for this Accept header: OpenMetrics when asked for, else Prometheus text 0.0.4. */
    public static String contentType(String accept) {
        return wantsOpenMetrics(accept)
            ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
            : "text/plain; version=0.0.4; charset=utf-8";
    }

    /** The exposition for a scrape; reading meters does not block recording. */
    public byte[] scrape(String accept) {
        if (prometheus == null) return new byte[0];
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            prometheus.scrape(out, contentType(accept));
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Content negotiation (RFC 9110 §12.5.1) between the two formats: each gets the weight of the most specific
     * media range that matches it ({@code application/openmetrics-text}, then {@code application/*}, then
     * {@code *}{@code /*}); OpenMetrics when its weight is above zero and above Prometheus text's, or equal to it
     * and asked for by name (Prometheus sends {@code application/openmetrics-text;version=1.0.0,...,text/plain;
     * version=0.0.4;q=0.5,*}{@code /*;q=0.1}). {@code q=0} means "not acceptable".
     */
    static boolean wantsOpenMetrics(String accept) {
        if (accept == null) return false;
        double[] om = {-1, -1, -1};   // weight from the exact type, type/*, */* (-1: no such range)
        double[] text = {-1, -1, -1};
        for (String element : accept.split(",")) {
            String[] parts = element.split(";");
            String range = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
            if (range.isEmpty()) continue;
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].trim();
                if (param.length() > 2 && (param.charAt(0) == 'q' || param.charAt(0) == 'Q') && param.charAt(1) == '=') {
                    try {
                        q = Math.min(1, Math.max(0, Double.parseDouble(param.substring(2).trim())));
                    } catch (NumberFormatException e) {
                        q = 0;  // an unreadable weight accepts nothing rather than everything
                    }
                }
            }
            weigh(om, range, "application/openmetrics-text", "application/*", q);
            weigh(text, range, "text/plain", "text/*", q);
        }
        double qOm = specific(om);
        double qText = specific(text);
        return qOm > 0 && (qOm > qText || (qOm == qText && om[0] >= 0));
    }

    private static void weigh(double[] weights, String range, String type, String wildcard, double q) {
        int at = range.equals(type) ? 0 : range.equals(wildcard) ? 1 : range.equals("*/*") ? 2 : -1;
        if (at >= 0) weights[at] = Math.max(weights[at], q);
    }

    /** The weight of the most specific range given, 0 if none matched (not acceptable). */
    private static double specific(double[] weights) {
        for (double w : weights) {
            if (w >= 0) return w;
        }
        return 0;
    }

    @Override
    public void close() {
        if (virtualThreads != null) virtualThreads.close();
        registry.close();
    }
}
