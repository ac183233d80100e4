/**
 * Sockets and threads: accept threads, poller loops that own the epoll-backed {@link java.nio.channels.Selector}s,
 * and the per-connection virtual threads that read, parse, dispatch and write in blocking style.
 *
 * <p>Owns: the connection lifecycle (accept, limit, timeouts, keep-alive, close, drain), its buffers, and the
 * resources connections share: the connection limit (kept below the file limit), the request-body memory budget.
 * May call: {@code http} (parser, response writer, router), {@code metrics}, {@code config}; JCTools (bounded
 * queues: the buffer pools, the poller's wake-ups).
 */
package io.weaseldb.net;
