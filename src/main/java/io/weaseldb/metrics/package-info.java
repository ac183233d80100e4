/**
 * Metrics: the Micrometer Prometheus registry, the meters every other package records into,
 * and the {@code /metrics} exposition. Meter names are fixed here so cardinality stays bounded.
 *
 * <p>May call: Micrometer only.
 */
package io.weaseldb.metrics;
