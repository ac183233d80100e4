/**
 * Sockets and threads: accept threads, poller loops that own the epoll-backed {@link java.nio.channels.Selector}s,
 * and the per-connection virtual threads that read, parse, dispatch and write in blocking style.
 *
 * <p>Owns: the connection lifecycle (accept, limit, timeouts, keep-alive, close, drain) and its buffers.
 * May call: {@code http} (parser, response writer, router), {@code metrics}, {@code config}.
 */
package io.weaseldb.net;
