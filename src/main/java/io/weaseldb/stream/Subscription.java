package io.weaseldb.stream;

import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.LogTruncatedException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * One subscriber's position in the feed, and the loop that streams to it on the connection's own (virtual)
 * thread: deliver exactly versions next, next + 1, ... from the ring when it still has them, else from the log;
 * flush after each batch; park while there is nothing new; write a keepalive comment when idle.
 */
public final class Subscription {
    private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Bytes written per batch before the loop re-checks draining and lag (the stream flushes on its own at 32 KiB). */
    private static final int BATCH_BYTES = 256 * 1024;
    /**
     * Bytes read from the log per replay batch. They are rendered into memory while the log reader is open and
     * written to the client only after it is closed: the log allows 64 open readers, and a subscriber that does
     * not read must not keep one while its write blocks (100 such subscribers made others wait 7-9 s for their
     * first event, up to the write timeout).
     */
    private static final int REPLAY_BATCH_BYTES = 64 * 1024;
    private static final int WRITE_SLICE_BYTES = 32 * 1024;

    private final ChangeFeed feed;
    private final StreamControl control;
    private final long startAfter;
    private final AtomicReference<DisconnectReason> endReason = new AtomicReference<>();
    private volatile Thread thread;

    /** The next version to deliver; written by the streaming thread only (read by the waiter check on it too). */
    private long next;
    /** Feed byte offset of {@link #next}'s event, or -1 while unknown (replaying history older than the ring). Read by the reaper. */
    private volatile long position;

    // Waiter-stack links (see ChangeFeed#await): nextWaiter is published by the stack's CAS.
    Subscription nextWaiter;
    volatile boolean queued;

    // Replay state for the log visitor (fields rather than a capturing lambda: one visitor per subscription).
    private final Predicate<LogRecord> replayVisitor = this::visit;
    private static final byte[] NO_BYTES = new byte[0];
    private byte[] replayBytes = NO_BYTES;
    private int replayLength;
    private long replayFrom;
    private long replayLimit;
    /** Bytes this batch may render (what it holds of the replay memory). */
    private long replayCapacity;
    /** Set when the batch's first event alone is larger than {@link #replayCapacity}: its size. */
    private int replayNeed;

    Subscription(ChangeFeed feed, StreamControl control, long startAfter, long position) {
        this.feed = feed;
        this.control = control;
        this.startAfter = startAfter;
        this.next = startAfter + 1;
        this.position = position;
    }

    /** Events are delivered for versions greater than this. */
    public long startAfter() {
        return startAfter;
    }

    /** Why the stream ended, or null while it runs. */
    public DisconnectReason endReason() {
        return endReason.get();
    }

    /** How often a waiting subscription checks whether its client went away (1 s: cheap for 1000 streams). */
    private static final long PEER_CHECK_NANOS = 1_000_000_000L;

    /**
     * Streams until the server drains, the feed closes, the subscriber falls too far behind, or the client goes
     * away; returns why. Run it on the connection's thread after the response head is sent. Never throws for a
     * failed write (that is {@link DisconnectReason#CLIENT_GONE}).
     */
    public DisconnectReason stream(OutputStream out) {
        if (thread != null) throw new IllegalStateException("a subscription is streamed once");
        thread = Thread.currentThread();
        feed.register(this);
        try {
            long keepaliveAt = System.nanoTime() + feed.keepaliveNanos();
            long nextPeerCheck = System.nanoTime();
            boolean unflushed = false;
            while (endReason.get() == null) {
                if (control.draining() || feed.isClosed()) {
                    out.flush();
                    end(DisconnectReason.SHUTDOWN);
                    break;
                }
                SseEvent newest = feed.newest();
                if (next <= newest.version) {
                    if (!deliver(out, newest)) break;
                    unflushed = true;
                    keepaliveAt = System.nanoTime() + feed.keepaliveNanos();
                    // A full batch with more to come (a replay catching up): let other connections run between
                    // batches, as virtual threads are not time-sliced and a fast reader never blocks our writes.
                    if (next <= newest.version) control.yieldToOthers();
                    continue;
                }
                if (unflushed) { // end of a batch: nothing more to send right now
                    out.flush();
                    unflushed = false;
                }
                long now = System.nanoTime();
                if (now - nextPeerCheck >= 0) {
                    // A departed client is otherwise noticed only by a failed write, which may never come
                    // (one batch written into the socket buffer, then no more events): look about once a second.
                    nextPeerCheck = now + PEER_CHECK_NANOS;
                    if (control.clientGone()) {
                        end(DisconnectReason.CLIENT_GONE);
                        break;
                    }
                }
                if (now - keepaliveAt >= 0) {
                    out.write(KEEPALIVE);
                    out.flush();
                    keepaliveAt = now + feed.keepaliveNanos();
                    continue;
                }
                feed.await(this, keepaliveAt - nextPeerCheck < 0 ? keepaliveAt : nextPeerCheck);
            }
        } catch (IOException e) {
            end(DisconnectReason.CLIENT_GONE); // no-op if the reaper cut us off (the abort made the write fail)
        } finally {
            feed.unregister(this);
            replayBytes = NO_BYTES;
        }
        return endReason.get();
    }

    /** Delivers from the ring up to {@code newest} (one batch); false when the stream must end. */
    private boolean deliver(OutputStream out, SseEvent newest) throws IOException {
        long limit = newest.version;
        long budget = BATCH_BYTES;
        while (next <= limit && budget > 0) {
            SseEvent e = feed.eventAt(next);
            if (e == null) return replay(out, limit); // older than the ring: from disk
            if (feed.newest().offset - e.offset > feed.maxLagBytes()) {
                end(DisconnectReason.SLOW);
                return false;
            }
            out.write(e.bytes());
            budget -= e.length;
            next++;
            position = e.end();
        }
        return true;
    }

    /**
     * Delivers one batch from the log, starting at {@link #next} and stopping at {@code limit} or the ring. The
     * batch's memory is taken from the feed's {@link ReplayMemory} before anything is rendered and given back once
     * the client has it; an event larger than a batch is rendered only once its own size is held. False when the
     * stream must end.
     */
    private boolean replay(OutputStream out, long limit) throws IOException {
        ReplayMemory memory = feed.replayMemory();
        int held = memory.acquire(REPLAY_BATCH_BYTES, this::stopWaiting);
        if (held < 0) return endReason.get() == null;  // draining or closing: the stream loop ends it
        try {
            long from = next;
            long capacity = (long) held << 10;
            while (true) {
                replayFrom = from;
                replayLimit = limit;
                replayCapacity = capacity;
                replayNeed = 0;
                replayLength = 0;
                try {
                    feed.log().read(from, replayVisitor);
                } catch (LogTruncatedException e) {
                    end(DisconnectReason.TRUNCATED);
                    return false;
                }
                if (endReason.get() != null) return false;
                if (replayLength > 0 || replayNeed == 0) break;
                // The first event does not fit: wait for its size holding nothing (not even its rendering), then again.
                memory.release(held);
                held = memory.acquire(replayNeed, this::stopWaiting);
                if (held < 0) return endReason.get() == null;
                capacity = Math.max((long) held << 10, replayNeed);  // an event over the whole budget: it, alone
            }
            // The log reader is closed: these writes may block. In slices, so the stream's buffer stays small.
            for (int off = 0; off < replayLength; off += WRITE_SLICE_BYTES) {
                out.write(replayBytes, off, Math.min(WRITE_SLICE_BYTES, replayLength - off));
            }
            if (next == from) {
                // Published means durable and in the log; the log returning nothing means the wiring is broken.
                throw new IllegalStateException("version " + from + " was published but the commit log does not return it");
            }
            return true;
        } finally {
            replayBytes = NO_BYTES;  // only the budget's holders keep rendered history
            memory.release(held);
        }
    }

    /** A replay waiting for memory gives up when the stream is ending anyway. */
    private boolean stopWaiting() {
        return endReason.get() != null || control.draining() || feed.isClosed();
    }

    private boolean visit(LogRecord r) {
        long v = r.version();
        if (v > replayLimit) return false; // deliver only what was published: keeps Last-Event-ID ≤ latestVersion
        if (v != next) throw new IllegalStateException("the commit log returned version " + v + " where " + next + " was expected");
        if (v > replayFrom && feed.eventAt(v) != null) return false; // caught up with the ring: serve from memory
        byte[] bytes = SseEvent.render(r);
        long p = position;
        if (p >= 0 && feed.newest().offset - p > feed.maxLagBytes()) {
            end(DisconnectReason.SLOW);
            return false;
        }
        if (replayLength + bytes.length > replayCapacity) {
            if (replayLength == 0) replayNeed = bytes.length;  // larger than what the batch holds: see replay()
            return false;  // it starts the next batch
        }
        if (replayBytes.length - replayLength < bytes.length) {
            replayBytes = java.util.Arrays.copyOf(replayBytes, (int) Math.min(replayCapacity,
                Math.max(replayLength + bytes.length, 2L * replayBytes.length)));
        }
        System.arraycopy(bytes, 0, replayBytes, replayLength, bytes.length);
        replayLength += bytes.length;
        next = v + 1;
        if (p >= 0) position = p + bytes.length; // rendering is deterministic: same bytes as the ring's
        return true;
    }

    long nextVersion() {
        return next;
    }

    long lagBytes(SseEvent newest) {
        long p = position;
        return p < 0 ? 0 : newest.offset - p;
    }

    StreamControl control() {
        return control;
    }

    Thread thread() {
        return thread;
    }

    /** Ends the stream once for {@code reason}, counting it; the reaper's call also closes the connection. */
    void disconnect(DisconnectReason reason) {
        if (end(reason)) control.abort();
    }

    private boolean end(DisconnectReason reason) {
        if (!endReason.compareAndSet(null, reason)) return false;
        feed.countDisconnect(reason);
        return true;
    }
}
