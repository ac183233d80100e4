package io.weaseldb.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Consumer;

/**
 * One request/response on a connection, as a handler sees it. Implemented by the network layer; every
 * call blocks the calling virtual thread (never a platform thread) until done.
 */
public interface Exchange {
    /** The parsed head; valid until the handler returns. */
    RequestHead request();

    /**
     * Streams the whole request body into {@code sink} as it arrives (sending {@code 100 Continue} first when
     * the client expects it). Body limit violations throw 413; framing errors 400. A handler that never calls
     * this gets the body read and discarded when it answers, before the answer is sent: a malformed body is
     * then answered with its error (400, 413) instead, and the connection closed. Bodies of methods other than
     * POST and PUT are discarded (and their framing checked) before the handler runs: nothing is delivered.
     */
    void readBody(BodySink sink) throws IOException, HttpException;

    /** Sends a complete response with Content-Length. {@code headers} are name/value pairs. */
    void respond(int status, String contentType, byte[] body, int off, int len, String... headers) throws IOException;

    /** For {@code respond} without extra headers: an empty varargs call would allocate a new array per response. */
    String[] NO_HEADERS = {};

    default void respond(int status, String contentType, byte[] body) throws IOException {
        respond(status, contentType, body, 0, body.length, NO_HEADERS);
    }

    /**
     * Starts a response whose body is written as it is produced, without Content-Length (an event stream);
     * the connection closes when the stream is closed. Writes block (the thread parks) while the socket is full
     * and fail with an IOException once the client is gone or the server is stopping.
     */
    OutputStream openStream(int status, String contentType, String... headers) throws IOException;

    /** True once the server is draining: long-lived handlers (event streams) should finish. */
    boolean draining();

    /**
     * Closes the connection from any thread: a write or wait in progress on the connection's thread fails
     * with an IOException. For cutting off a subscriber that fell too far behind.
     */
    void abort();

    /**
     * True when the client has closed its side of the connection, found without blocking (one non-blocking
     * read; anything the client sent is discarded). For long-lived responses whose writes would otherwise be
     * the only way to notice a departed client.
     */
    boolean peerClosed();

    /**
     * Wakes this connection's thread, parked waiting for another thread's work (e.g. a pipeline stage's), the
     * same way the network layer wakes it for I/O, so that such wake-ups and I/O wake-ups are served in one order.
     */
    Consumer<Thread> threadWaker();

    /**
     * Lets other connections run before this one goes on: for a handler that produces or consumes a lot without ever
     * blocking (virtual threads are not time-sliced). Call only on the connection's own thread.
     */
    void yieldToOthers();

    /** Per-connection state a handler keeps across requests (e.g. a reusable pipeline completion); null at first. */
    Object attachment();

    void attach(Object attachment);
}
