package io.weaseldb.net;

import io.weaseldb.http.RequestParser;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connection's input (the seed's per-connection arena, read side): a read buffer borrowed from the server's
 * pools and the window {@code [start, end)} of bytes read but not yet consumed. Small for ordinary requests;
 * moved to a large buffer, at the same offsets, for a large head or body; back to small once a large request
 * is done. A connection idle for long gives its buffer back ({@link #releaseIfIdle}), so an idle keep-alive
 * connection holds none.
 *
 * <p>Only the connection's thread uses it, except {@link #releaseIfIdle} (the poller, while that thread is
 * parked) and {@link #release} (close, possibly during such a release): those two take the buffer with one
 * getAndSet, so exactly one of them gives it back.
 */
final class InputBuffer {
    private final BufferPool smallPool;
    private final BufferPool largePool;
    private BufferPool.Buf buf; // null until a read needs it
    private int start;          // first unconsumed byte
    private int end;            // end of the bytes read so far

    InputBuffer(BufferPool smallPool, BufferPool largePool) {
        this.smallPool = smallPool;
        this.largePool = largePool;
    }

    int start() { return start; }

    int end() { return end; }

    /** The bytes before {@code pos} have been consumed. */
    void consumeTo(int pos) {
        start = pos;
    }

    boolean hasUnconsumed() {
        return start < end;
    }

    /** The current buffer's array; valid until the next {@link #grow} or read. */
    byte[] array() {
        return buf.array;
    }

    boolean isLarge() {
        return buf != null && buf.array.length > NetServer.SMALL_BUFFER_BYTES;
    }

    boolean isFull() {
        return end == buf.array.length;
    }

    /**
     * Between requests with everything consumed: starts over at offset 0, and gives a large buffer back (the
     * next request most likely fits a small one). The small one stays: a busy keep-alive connection reuses it
     * without a pool round trip.
     */
    void restartEmpty() {
        start = end = 0;
        if (isLarge()) {
            buf.release();
            buf = null;
        }
    }

    /**
     * Moves the unconsumed bytes of a large buffer to the start of a small one, if they fit, and gives the large
     * one back. True when the buffer is small (or none) afterwards. Only between requests: the parser holds no
     * views into the buffer then.
     */
    boolean shrinkToSmall() {
        if (!isLarge()) return true;
        int n = end - start;
        if (n > NetServer.SMALL_BUFFER_BYTES) return false;
        BufferPool.Buf small = smallPool.acquire();
        System.arraycopy(buf.array, start, small.array, 0, n);
        buf.release();
        buf = small;
        start = 0;
        end = n;
        return true;
    }

    /**
     * Keeps room for a maximal head after the leftover of a pipelined request, by moving it to offset 0. Only a
     * large buffer needs it: a head that reaches a small buffer's end moves to a large one, where it fits from
     * any offset.
     */
    void makeHeadRoom(int headRoom) {
        if (isLarge() && buf.array.length - start < headRoom) {
            System.arraycopy(buf.array, start, buf.array, 0, end - start);
            end -= start;
            start = 0;
        }
    }

    /**
     * Moves the input to a large buffer at the same offsets (so the parser's views and every position stay
     * valid) and gives the small one back.
     */
    void grow(RequestParser parser) {
        BufferPool.Buf small = buf;
        BufferPool.Buf large = largePool.acquire();
        System.arraycopy(small.array, 0, large.array, 0, end);
        buf = large;
        parser.rebase(large.array);
        small.release();
    }

    /**
     * Drops the body bytes before {@code bodyPos} that were decoded, keeping the head {@code [0, headEnd)} valid
     * for the handler, so the body streams through the space after the head. Returns the new body position.
     */
    int reclaimBody(int headEnd, int bodyPos) {
        if (bodyPos == end) {
            end = headEnd;
            return headEnd;
        }
        if (end == buf.array.length) {
            System.arraycopy(buf.array, bodyPos, buf.array, headEnd, end - bodyPos);
            end = headEnd + (end - bodyPos);
            return headEnd;
        }
        return bodyPos;
    }

    /** Reads once without waiting, taking a buffer if needed; returns the count (0: nothing yet, -1: end). */
    int readAvailable(SocketChannel ch) throws IOException {
        int n = ch.read(space());
        if (n > 0) end += n;
        return n;
    }

    /** Reads at least one byte, waiting up to {@code deadline}; returns the count, or -1 at end of stream. */
    int read(ChannelIo io, long deadline) throws IOException {
        int n = io.read(space(), deadline, false);
        if (n > 0) end += n;
        return n;
    }

    private ByteBuffer space() {
        if (buf == null) buf = smallPool.acquire();
        ByteBuffer v = buf.view;
        v.limit(v.capacity()).position(end);
        return v;
    }

    /** The whole buffer as scratch space for input that is read and dropped (the window is lost). */
    ByteBuffer scratch() {
        if (buf == null) buf = smallPool.acquire();
        start = end = 0;
        return buf.view.clear();
    }

    /**
     * Called by the poller for a connection whose thread is parked idle with nothing buffered: takes the buffer
     * back. Safe without a lock because that thread touches nothing here until it is woken, and every wake-up
     * but an abort comes from the poller's own thread; an abort's {@link #release} races only for the buffer.
     */
    void releaseIfIdle() {
        if (buf != null) release();
    }

    /** Gives the buffer back (on close; at most one caller gets it). */
    void release() {
        BufferPool.Buf b = (BufferPool.Buf) BUF.getAndSet(this, null);
        if (b != null) b.release();
    }

    private static final VarHandle BUF;

    static {
        try {
            BUF = MethodHandles.lookup().findVarHandle(InputBuffer.class, "buf", BufferPool.Buf.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
