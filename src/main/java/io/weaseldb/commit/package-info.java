/**
 * The transaction model and its rules: {@code CommitRequest}, the content-type keyed parser registry
 * (JSON first), precondition checking against the in-memory conflict history, request-id bookkeeping
 * (dedup, bans, retention) and the commit/status pipeline stages.
 *
 * <p>May call: {@code storage}, {@code pipeline}; jackson-core (request parsing, answers), JCTools (jackson's buffer pool),
 * Micrometer (its meters).
 * Knows nothing about sockets.
 */
package io.weaseldb.commit;
