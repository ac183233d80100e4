/**
 * The change feed: fan-out of durable commits to subscribers. {@link io.weaseldb.stream.ChangeFeed} keeps a
 * bounded ring of recent events, each rendered once (on first delivery) as Server-Sent-Events bytes shared by every subscriber;
 * history older than the ring is replayed from the commit log on disk. {@link io.weaseldb.stream.LogRetention}
 * truncates the log according to retention policies and {@code [storage] retain_versions}, archiving the ids
 * of what it removes first.
 *
 * <p>Owns: subscriber state, the lag limit and its disconnects, log truncation scheduling.
 * May call: {@code storage}; jackson-core (event JSON), Micrometer (its meters). Knows nothing about HTTP: the api package adapts an
 * exchange to a {@link io.weaseldb.stream.StreamControl} and an {@link java.io.OutputStream}.
 */
package io.weaseldb.stream;
