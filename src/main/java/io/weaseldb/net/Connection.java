package io.weaseldb.net;

import io.weaseldb.http.BodyDecoder;
import io.weaseldb.http.BodySink;
import io.weaseldb.http.ErrorBody;
import io.weaseldb.http.Exchange;
import io.weaseldb.http.HttpException;
import io.weaseldb.http.Method;
import io.weaseldb.http.OutputBuffer;
import io.weaseldb.http.RequestHead;
import io.weaseldb.http.RequestParser;
import io.weaseldb.http.ResponseHead;
import io.weaseldb.http.Route;
import io.weaseldb.metrics.HttpMetrics.RouteMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One client connection, served start to end by its own virtual thread in plain blocking style (like
 * Helidon 4's Http1Connection): read → parse → route → handle → write, repeated for keep-alive and
 * pipelined requests, answering in order. It owns its buffers (the seed's per-connection arena): an
 * {@link InputBuffer} for what it reads and an {@link OutputBuffer} reused for its answers.
 */
final class Connection implements Runnable, Exchange {
    /** Wake signals from the poller. */
    static final int READY = 1, TIMED_OUT = 2, CLOSED = 3;

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    // --- shared with the poller (see Poller) ---
    volatile int signal;
    volatile int waitingOps;
    volatile long deadline;
    /** Woken READY by the poller, which waits for our next read/write before it selects again. */
    volatile boolean wakePending;
    /** Waiting between requests with nothing buffered: may be closed at once when draining. */
    volatile boolean idle;
    /** When the current idle wait began (valid while {@link #idle}). */
    volatile long idleSince;
    Thread thread;

    private final NetServer server;
    private final Poller poller;
    private final SocketChannel ch;
    private final ChannelIo io;
    private final RequestParser parser;
    private final BodyDecoder body;
    private final ConnectionOutput output;
    private final OutputBuffer out;  // output's buffer, where answers are written
    private SelectionKey key;

    private volatile boolean aborted;
    private Object attachment;
    private final InputBuffer input;
    private int headEnd;       // body starts here
    private int bodyPos;       // next body byte to decode
    private int reservedKiB;   // this request's share of the server's body budget
    private boolean holdsLargeHead;  // this request holds one of the server's large-head permits (NetServer#largeHeads)
    private long reservedAt;   // when it was granted: the body's pace is measured from here

    // per-request state, reset in serveOne
    private long requestStart;
    private long requestDeadline;
    private boolean responded;
    private boolean closeAfter;
    private boolean continueSent;
    private boolean bodyRequested;
    private boolean streaming;
    /**
     * The route this request's metrics go to. Set only when it changes (a keep-alive client mostly calls one route):
     * a reference stored into this long-lived object is a G1 card to refine, per connection per request. Until the
     * request is routed, {@code routed} is false and its metrics go to the server's no-route entry.
     */
    private RouteMetrics routeMetrics;
    private boolean routed;

    Connection(NetServer server, Poller poller, SocketChannel ch) {
        this.server = server;
        this.poller = poller;
        this.ch = ch;
        this.io = new ChannelIo(this, ch);
        this.input = new InputBuffer(server.smallBuffers(), server.largeBuffers());
        this.parser = new RequestParser(server.limits());
        this.body = new BodyDecoder(server.limits());
        this.output = new ConnectionOutput(io, server.writeTimeoutNanos());
        this.out = output.buffer();
    }

    // ------------------------------------------------------------------ waiting (poller hand-off)

    /** Arms one-shot interest and parks until the poller reports readiness, a deadline or a close. */
    int await(int ops, long deadlineNanos) {
        ackWake();
        servedWithoutWait = 0;
        // Deadline first: a scan that sees this wait's signal = 0 (or ops) then reads this wait's deadline, never
        // the last one's, and cannot time out a connection that is being served.
        deadline = deadlineNanos;
        signal = 0;
        waitingOps = ops; // volatile write after deadline: the poller's scan reads ops first, then deadline
        try {
            poller.arm(key, ops);
        } catch (CancelledKeyException closed) {
            waitingOps = 0;
            return CLOSED; // closed under us (abort, server stop)
        }
        if (poller.stopped()) {
            // Its last act closes every connection, but that wake may have come before signal = 0 above erased it.
            waitingOps = 0;
            return CLOSED;
        }
        int s;
        while ((s = signal) == 0 && !aborted) LockSupport.park(this);
        waitingOps = 0;
        slice.resumed(System.nanoTime());
        server.noteResumed();
        return aborted ? CLOSED : s;
    }

    /** Tells the poller that the readiness it woken us for has been consumed (see Poller#unacked). */
    void ackWake() {
        if (wakePending) {
            wakePending = false;
            poller.ack();
        }
    }

    void wake(int s) {
        signal = s;
        LockSupport.unpark(thread);
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void run() {
        server.threadStarted();
        try {
            key = poller.register(ch, this);
            serve();
        } catch (ChannelIo.TimeoutException e) {
            server.metrics().timeout("write");
        } catch (IOException e) {
            // client went away or server closed the socket: nothing to answer
        } catch (VirtualMachineError fatal) {
            throw fatal;  // for the process's handler: see server.HaltOnVmError
        } catch (Throwable t) {
            System.err.println("weaseldb: connection failed: " + t);
            t.printStackTrace();
        } finally {
            close();
            server.connectionClosed();
        }
    }

    private void serve() throws IOException {
        boolean first = true;
        while (awaitRequest(first)) {
            first = false;
            if (!serveOne()) return;
            // A client that pipelines without end and reads as fast as we answer never makes this thread wait:
            // let the others run every so many requests served without a wait.
            if (++servedWithoutWait >= FAIR_REQUESTS) yieldToOthers();
        }
    }

    /** Requests served one after another without waiting for the client before {@link #yieldToOthers}. */
    private static final int FAIR_REQUESTS = 256;
    /** Requests served since this thread last waited (reset by {@link #await} and {@link #yieldToOthers}). */
    private int servedWithoutWait;

    /**
     * Waits for the first byte of the next request. Returns false when the connection should just close
     * (end of stream, idle timeout, drain).
     */
    private boolean awaitRequest(boolean first) throws IOException {
        parser.reset();
        dropEmptyLines();
        if (!input.hasUnconsumed()) {
            input.restartEmpty();
            output.flush();
            if (server.draining()) {
                // A request whose bytes already arrived is in flight, not idle: serve it, as the drain's wake-up
                // below does. (Returning at once dropped it when the drain began before this thread first ran.)
                try {
                    return readIntoFresh() && startRequest();
                } catch (EndOfStream e) {
                    return false;
                }
            }
            // Idle: the read buffer stays while the next request follows quickly (a busy keep-alive client),
            // and the poller takes it back once the wait passes IDLE_BUFFER_NANOS (see releaseIdleBuffer):
            // no pool round trip per request, and no buffer held by a connection idle for long.
            long timeout = first ? server.requestTimeoutNanos() : server.keepaliveTimeoutNanos();
            long now = System.nanoTime();
            long idleDeadline = now + timeout;
            idleSince = now;
            idle = true;
            try {
                // A new connection usually has its request already; between keep-alive requests it rarely does.
                boolean readFirst = first;
                while (true) {
                    boolean got = readFirst && readIntoFresh();
                    readFirst = false;
                    if (!got) {
                        int s = await(SelectionKey.OP_READ, idleDeadline);
                        // A request may have arrived as the deadline passed: the process was stopped (SIGSTOP, a
                        // long pause) and the poller's deadline scan ran before it saw the socket ready. It is
                        // served, not dropped with its connection.
                        boolean arrivedLate = s == TIMED_OUT && readIntoFresh();
                        if (s == TIMED_OUT && !arrivedLate) {
                            // No longer idle before anything else parks: the poller takes an idle connection's read
                            // buffer back, and the 408's linger below reads into it.
                            idle = false;
                            if (first) {
                                server.metrics().timeout("request");
                                requestStart = System.nanoTime();
                                sendError(new HttpException(408, "request_timeout", "no request received within "
                                    + TimeUnit.NANOSECONDS.toSeconds(timeout) + " s"));
                            } else {
                                server.metrics().timeout("keepalive");
                            }
                            return false;
                        }
                        if (s == CLOSED) {
                            // Draining: a request whose bytes already arrived is in flight, not idle; serve it.
                            return readIntoFresh() && startRequest();
                        }
                        if (!arrivedLate && !readIntoFresh()) continue;
                    }
                    dropEmptyLines();
                    if (input.hasUnconsumed()) break;
                    input.restartEmpty();  // only empty lines: still idle, and the same deadline still runs
                }
            } catch (EndOfStream e) {
                return false;
            } finally {
                idle = false;
            }
        } else {
            input.makeHeadRoom(server.headRoom());
        }
        return startRequest();
    }

    /**
     * Drops the empty lines before a request: RFC 9112 §2.2 asks servers to ignore them (some clients send one
     * after a POST body), so they neither start a request nor its timeout. The parser decides what counts as one
     * and keeps them under its limit ({@link RequestParser#skipEmptyLines}).
     */
    private void dropEmptyLines() {
        if (input.hasUnconsumed()) input.consumeTo(parser.skipEmptyLines(input.array(), input.start(), input.end()));
    }

    private boolean startRequest() {
        requestStart = System.nanoTime();
        requestDeadline = requestStart + server.requestTimeoutNanos();
        return true;
    }

    private static final class EndOfStream extends IOException {
        EndOfStream() {
            super("end of stream", null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Takes a buffer and reads once without waiting; true if bytes arrived. */
    private boolean readIntoFresh() throws IOException {
        int n = input.readAvailable(ch);
        ackWake();
        if (n < 0) throw new EndOfStream();
        io.bytesRead += n;
        return n > 0;
    }

    /** Serves one request whose first bytes are buffered. Returns false when the connection must close. */
    private boolean serveOne() throws IOException {
        responded = closeAfter = continueSent = bodyRequested = streaming = false;
        routed = false;
        try {
            headEnd = readHead();
            if (headEnd < 0) { // client closed mid-head: still deliver the answers to what it asked before
                output.flushQuietly();
                return false;
            }
            RequestHead h = parser.head();
            body.reset(h);
            bodyPos = headEnd;
            closeAfter = !h.keepAlive() || server.draining();
            // No endpoint gives a GET, HEAD, DELETE or OPTIONS body a meaning: check its framing before dispatch,
            // so that a malformed request has no effect (a status query bans its id, a DELETE deletes).
            if (h.method() != Method.POST && h.method() != Method.PUT) discardUnreadBody(h);
            dispatch(h);
            if (!responded) {
                throw new IllegalStateException("handler for " + h.path() + " returned without answering");
            }
            if (streaming) return false;
            // Answering drained any body the handler did not read (discardUnreadBody), except when the client
            // waits for a 100 Continue we never sent: it may or may not send the body, so close (respond() has
            // already said so in the answer's head).
            if (!body.isDone()) closeAfter = true;
        } catch (HttpException e) {
            sendError(e);
            return false;
        } catch (UnreadBodyError e) {
            sendError(e.error);
            return false;
        } catch (ChannelIo.TimeoutException e) {
            server.metrics().timeout(e.write ? "write" : "request");
            // A client that takes no answers gets no further one; a request that did not arrive in time gets 408.
            if (!e.write && !responded) {
                sendError(new HttpException(408, "request_timeout", "request not received within "
                    + TimeUnit.NANOSECONDS.toSeconds(server.requestTimeoutNanos()) + " s"));
            }
            return false;
        } catch (EndOfStream | ChannelIo.ClosedByServerException e) {
            output.flushQuietly(); // earlier pipelined answers still go out (the peer may only have half-closed)
            return false;
        } catch (RuntimeException e) {
            System.err.println("weaseldb: handler failed: " + e);
            e.printStackTrace();
            if (!responded) sendError(new HttpException(500, "internal_error", "internal error"));
            return false;
        } finally {
            releaseRequestBudgets();
            server.metrics().bytes(io.bytesRead, io.bytesWritten);
            io.bytesRead = io.bytesWritten = 0;
        }
        input.consumeTo(bodyPos);
        if (closeAfter) {
            output.flush();
            return false;
        }
        // Pipelining: answer every buffered request before one write, as long as the output stays small.
        if (!input.hasUnconsumed() || output.full()) output.flush();
        return true;
    }

    private void route(RouteMetrics m) {
        if (routeMetrics != m) routeMetrics = m;
        routed = true;
    }

    private RouteMetrics metricsRoute() {
        return routed ? routeMetrics : server.noRoute();
    }

    private void dispatch(RequestHead h) throws IOException, HttpException {
        Route r = server.router().route(h);
        route(server.routeMetrics(r));
        if (!r.inline()) output.flush(); // the handler will park on its pipeline: do not hold earlier answers
        r.handler().handle(this);
    }

    /** A head in a large buffer holds one of the server's large-head permits until answered: 503 when none is free. */
    private void takeLargeHeadPermit() throws HttpException {
        if (holdsLargeHead) return;
        if (!server.largeHeads().tryAcquire()) {
            throw new HttpException(503, "overloaded", "too many large request heads in progress; retry later");
        }
        holdsLargeHead = true;
    }

    /** Below this much room after the head, a small read buffer moves to a large one for the body. */
    private static final int MIN_BODY_ROOM = 1024;

    /** Parses the head, reading as needed; returns where the body starts, or -1 at end of stream. */
    private int readHead() throws IOException, HttpException {
        // A pipelined request left in the large buffer of the one before it: back to a small buffer if it fits,
        // else it is a large head itself and needs a permit (released with the request before it).
        if (input.isLarge() && !input.shrinkToSmall()) takeLargeHeadPermit();
        int start = input.start();
        while (true) {
            if (input.end() > start) {
                int r = parser.parseHead(input.array(), start, input.end());
                if (r >= 0) return r;
            }
            if (input.isFull()) {
                if (!input.isLarge()) {
                    takeLargeHeadPermit();
                    input.grow(parser);
                } else {
                    // Unreachable while the parser enforces limits that fit headRoom; refuse rather than overflow.
                    throw HttpException.headersTooLarge("request head exceeds the read buffer");
                }
            }
            flushHeldAnswers();
            if (input.read(io, requestDeadline) < 0) return -1;
        }
    }

    /**
     * Before a read that may wait for the client: answers held back to go out with the next pipelined request's
     * (see {@link #serveOne}) are sent now, or a client whose writes end partway into its next request would get
     * them only once that request completes, up to {@code request_timeout_sec} later.
     */
    private void flushHeldAnswers() throws IOException {
        output.flush();
    }

    /**
     * A body handed to its sink in one go may keep a carrier this long (in bytes) before the thread yields:
     * virtual threads are not time-sliced, and a large commit arriving at loopback speed is parsed without
     * ever blocking. Parsing 64 KiB of commit JSON takes ~0.2 ms here; an 884 KB commit held the only carrier
     * for ~3 ms without this.
     */
    private static final int YIELD_BYTES = 64 * 1024;

    private void readBodyInto(BodySink sink) throws IOException, HttpException {
        int sinceYield = 0;
        long decoded = 0;
        while (true) {
            if (bodyPos < input.end()) {
                int n = body.decode(input.array(), bodyPos, input.end(), sink);
                bodyPos += n;
                sinceYield += n;
                decoded += n;
            }
            if (body.isDone()) return;
            int size = input.array().length;
            if (!input.isLarge() && (decoded >= size || size - headEnd < MIN_BODY_ROOM)) {
                input.grow(parser); // a large body, or little room after the head: read it in bigger pieces
            }
            if (sinceYield >= YIELD_BYTES) {
                sinceYield = 0;
                yieldToOthers();
            }
            bodyPos = input.reclaimBody(headEnd, bodyPos);
            flushHeldAnswers();
            long deadline = Math.min(requestDeadline,
                BodyBudget.paceDeadline(reservedKiB, reservedAt, decoded, server.requestTimeoutNanos()));
            int n;
            try {
                n = input.read(io, deadline);
            } catch (ChannelIo.TimeoutException e) {
                if (deadline == requestDeadline || System.nanoTime() - requestDeadline >= 0) throw e;
                // Behind its pace. With nobody waiting for the budget it harms no one: wait on (the passed pace
                // deadline makes the poller's next scan, within 0.1 s, ask again), up to the request deadline.
                if (!server.bodyBudget().contended()) continue;
                server.metrics().timeout("body_pace");
                throw new HttpException(408, "request_timeout", "request body too slow: " + decoded + " of "
                    + (reservedKiB * 1024L) + " reserved bytes after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - reservedAt)
                    + " ms while other requests wait for the body budget (a body must then keep pace to arrive within"
                    + " request_timeout_sec)");
            }
            if (n < 0) throw new EndOfStream();
        }
    }

    // ------------------------------------------------------------------ Exchange

    @Override
    public RequestHead request() {
        return parser.head();
    }

    @Override
    public void readBody(BodySink sink) throws IOException, HttpException {
        if (bodyRequested) throw new IllegalStateException("body already read");
        bodyRequested = true;
        RequestHead h = parser.head();
        if (!h.hasBody() || body.isDone()) return; // none, or discarded before dispatch (see serveOne)
        rejectContentCoding(h);
        // Before the 100 Continue: a refused client need not send the body. Released once answered (serveOne).
        long declared = h.contentLength() >= 0 ? h.contentLength() : server.limits().maxBodyBytes();
        reservedKiB = server.bodyBudget().reserve(declared, requestDeadline);
        reservedAt = System.nanoTime();
        if (h.expectContinue() && h.versionMinor() == 1 && !continueSent) {
            output.flush();
            out.write(CONTINUE);
            output.flush();
            continueSent = true;
        }
        readBodyInto(sink);
    }

    @Override
    public void respond(int status, String contentType, byte[] b, int off, int len, String... headers) throws IOException {
        if (responded) throw new IllegalStateException("already answered");
        RequestHead h = parser.head();
        discardUnreadBody(h);
        responded = true;
        if (h.expectContinue() && h.hasBody() && !continueSent) {
            // Answered before asking for the body: the client may or may not send it, so this connection
            // cannot be reused safely. Say so now (the close itself follows in serveOne).
            closeAfter = true;
        }
        // API.md: a malformed request gets 400 and the connection is closed; a handler's 400 (a bad field, a
        // bad query) is one too, although its framing was sound.
        if (status == 400) closeAfter = true;
        boolean noBody = status == 204 || status == 304 || status < 200;
        ResponseHead.write(out, status, noBody ? null : contentType, noBody ? -1 : len, connectionToken(h), headers);
        if (!noBody && h.method() != Method.HEAD && len > 0) output.writeBody(b, off, len);
        metricsRoute().record(h.method().ordinal(), h.method().name(), status, System.nanoTime() - requestStart);
    }

    /**
     * Reads and drops a body the handler did not ask for, before its answer goes out: a request whose framing
     * turns out malformed (a bad chunk, a body over the limit) is answered with that error (400, 413) and the
     * connection closed, never with the handler's answer (API.md: malformed request → 400). Not when the client
     * waits for a 100 Continue we have not sent: it may never send the body (the connection is closed instead).
     */
    private void discardUnreadBody(RequestHead h) throws IOException {
        if (bodyRequested || body.isDone() || (h.expectContinue() && !continueSent)) return;
        try {
            readBodyInto(BodySink.DISCARD);
        } catch (HttpException e) {
            throw new UnreadBodyError(e);
        }
    }

    /** Carries a framing error found by {@link #discardUnreadBody} out of the handler to {@link #serveOne}. */
    private static final class UnreadBodyError extends IOException {
        final HttpException error;

        UnreadBodyError(HttpException error) {
            super(error.getMessage(), error);
            this.error = error;
        }
    }

    private int connectionToken(RequestHead h) {
        // A drain that began while this request was being read or handled also closes after its answer: say so.
        if (!closeAfter && server.draining()) closeAfter = true;
        if (closeAfter) return 1;
        return h.versionMinor() == 0 ? 2 : 0;
    }

    @Override
    public OutputStream openStream(int status, String contentType, String... headers) throws IOException {
        if (responded) throw new IllegalStateException("already answered");
        RequestHead h = parser.head();
        discardUnreadBody(h);
        responded = true;
        streaming = true;
        closeAfter = true;
        ResponseHead.write(out, status, contentType, -1, 1, headers);
        metricsRoute().record(h.method().ordinal(), h.method().name(), status, System.nanoTime() - requestStart);
        // The request is fully read and the stream may last for days: its large-head permit and a large read buffer
        // go back now, not at the stream's end (subscribers with padded heads would otherwise hold every permit).
        // Nothing after it is a request (the stream ends the connection), so dropping pipelined bytes loses nothing.
        boolean head = h.method() == Method.HEAD;
        releaseRequestBudgets();
        input.restartEmpty();
        output.flush();
        if (head) {
            // The head is the whole answer: the first body write ends the handler's stream loop.
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException("HEAD: the response has no body");
                }
            };
        }
        return output.stream();
    }

    @Override
    public boolean draining() {
        return server.draining();
    }

    @Override
    public void abort() {
        aborted = true;
        try {
            ch.close(); // any syscall in progress or to come fails
        } catch (IOException ignored) {
            // closing anyway
        }
        LockSupport.unpark(thread);
    }

    @Override
    public boolean peerClosed() {
        try {
            return ch.read(input.scratch()) < 0;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public Consumer<Thread> threadWaker() {
        return poller.waker;
    }

    /**
     * Takes its turn behind the threads its poller has woken (see {@link Poller#yieldTurn}) once this thread's
     * {@link TimeSlice} is due (used up, or cut short by threads woken and not run yet); before that it returns at once.
     */
    @Override
    public void yieldToOthers() {
        servedWithoutWait = 0;
        ackWake();  // this thread's read is done: the poller must not wait for it (nor count it as waiting to run)
        if (!slice.due(System.nanoTime(), poller.othersWaiting())) return;
        long before = server.resumes();
        poller.yieldTurn();
        slice.yielded(System.nanoTime(), server.resumes() != before);
        server.noteResumed();  // after the comparison: others yielding in turn see this thread ran
    }

    /** This thread's cooperative time slice (see {@link #yieldToOthers}). */
    private final TimeSlice slice = new TimeSlice(System.nanoTime());

    @Override
    public Object attachment() {
        return attachment;
    }

    @Override
    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    /** Gives this request's share of the body budget and its large-head permit back (once: a second call releases nothing). */
    private void releaseRequestBudgets() {
        server.bodyBudget().release(reservedKiB);
        reservedKiB = 0;
        if (holdsLargeHead) {
            holdsLargeHead = false;
            server.largeHeads().release();
        }
    }

    /**
     * A body in a content coding (gzip, br, ...) is not the bytes it declares to be, and no handler decodes one:
     * taking it as plain bytes could commit garbage that happens to parse. RFC 9110 §8.4 allows the 415.
     */
    private static void rejectContentCoding(RequestHead h) throws HttpException {
        for (int i = h.indexOf("Content-Encoding"); i >= 0; i = h.indexOf("Content-Encoding", i + 1)) {
            for (String coding : h.headerValue(i).split(",")) {
                String c = coding.strip();
                if (!c.isEmpty() && !c.equalsIgnoreCase("identity")) {
                    throw HttpException.unsupportedContentCoding("Content-Encoding " + c
                        + " is not supported: send the request body without a content coding");
                }
            }
        }
    }

    /** Answers a protocol error and closes: never parse past an error (no smuggling). */
    private void sendError(HttpException e) {
        server.metrics().parseError(e.code());
        closeAfter = true;
        releaseRequestBudgets();  // the request is over: now, not after the linger below (up to 2 s)
        try {
            if (!responded) {
                if (parser.head().buffer() == null) routed = false;
                byte[] b = ErrorBody.json(e.code(), e.getMessage());
                // `out` may hold complete answers to earlier pipelined requests (a commit's 200 among them):
                // they go first, in order, then this error.
                if (e.status() == 503) ResponseHead.write(out, 503, "application/json", b.length, 1, "Retry-After", "1");
                else ResponseHead.write(out, e.status(), "application/json", b.length, 1, e.headers());
                if (parser.head().method() != Method.HEAD) out.write(b);
                responded = true;
                metricsRoute().record(Method.OTHER.ordinal(), "OTHER", e.status(), System.nanoTime() - requestStart);
            }
            output.flush();
            lingerBeforeClose();
        } catch (IOException ignored) {
            // the client is gone; nothing more to say
        }
    }

    /**
     * Half-closes and reads (discarding) what the client still sends, for a bounded time and size, so that
     * closing with unread input does not reset the connection before the client has read our error. Not when
     * the server is near its connection limit: a lingering connection still counts against it, and clients that
     * reconnect after each error (8,000 slowloris clients, each answered 408) pushed well-behaved ones over the
     * limit (the abuse audit: 2,041 refused with 503 below the 10,000 limit).
     */
    private void lingerBeforeClose() throws IOException {
        ch.shutdownOutput();
        if (server.nearConnectionLimit()) return;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long budget = 256 * 1024;
        while (budget > 0) {
            int n = io.read(input.scratch(), until, false);
            if (n < 0) return;
            budget -= n;
        }
    }

    private void close() {
        ackWake();
        if (key != null) key.cancel();
        try {
            ch.close();
        } catch (IOException ignored) {
            // already closed
        }
        input.release(); // the poller may be taking it concurrently: see InputBuffer
    }

    /** A connection idle longer than this gives its read buffer back to the pool. */
    static final long IDLE_BUFFER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /**
     * Called by the poller's scan: a connection parked idle for longer than {@link #IDLE_BUFFER_NANOS} gives its
     * read buffer back (see {@link InputBuffer#releaseIfIdle}).
     */
    void releaseIdleBuffer(long now) {
        if (idle && waitingOps != 0 && signal == 0 && now - idleSince > IDLE_BUFFER_NANOS) input.releaseIfIdle();
    }
}
