/**
 * Metrics: the process's Micrometer registry (Prometheus-backed, with the JVM binders, or a no-op one when
 * disabled), the network and HTTP meters, and the {@code /metrics} exposition. The other packages register
 * their own meters on the {@code MeterRegistry} they are given, with label values from fixed sets, so
 * cardinality stays bounded.
 *
 * <p>May call: Micrometer, and the Prometheus client under it (the request latency histogram is one of its
 * histograms, registered in the same registry).
 */
package io.weaseldb.metrics;
