/**
 * Durability: the append-only, checksummed, segmented commit log with group fsync, its recovery
 * and truncation, and durable retention policies. Behind interfaces so that another backend
 * (e.g. an object store) can replace the local-disk one.
 *
 * <p>May call: nothing outside the JDK and itself.
 */
package io.weaseldb.storage;
