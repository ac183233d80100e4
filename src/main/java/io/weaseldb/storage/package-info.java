/**
 * Durability: the append-only, checksummed, segmented commit log with group fsync, its recovery
 * and truncation, the journal of request-id bans, the archive of request ids truncated from the log while
 * their retention runs, and durable retention policies. Behind interfaces
 * so that another backend (e.g. an object store) can replace the local-disk one.
 *
 * <p>Owns {@code dataDir/log/}, {@code dataDir/bans/}, {@code dataDir/ids/}, {@code dataDir/retention-policies} and {@code dataDir/LOCK}.
 *
 * <p>May call: nothing outside the JDK and itself, except Micrometer's {@code MeterRegistry} for its metrics.
 */
package io.weaseldb.storage;
