package io.weaseldb.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Blocking-style reads and writes on a non-blocking socket, for the connection's virtual thread: when the
 * socket would block, arm one-shot interest with the poller and park until it is ready, timed out or closed.
 */
final class ChannelIo {
    /** Thrown when a wait ends by deadline; {@link #write} tells a stalled write from a request not arriving. */
    static final class TimeoutException extends IOException {
        final boolean write;

        TimeoutException(boolean write) {
            super(write ? "write timed out" : "read timed out", null);
            this.write = write;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Thrown when the server closes the connection under it (drain, stop). */
    static final class ClosedByServerException extends IOException {
        ClosedByServerException() {
            super("closed by server", null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private final Connection conn;
    final SocketChannel ch;
    long bytesRead;
    long bytesWritten;

    ChannelIo(Connection conn, SocketChannel ch) {
        this.conn = conn;
        this.ch = ch;
    }

    /**
     * Reads into {@code dst} (position..limit), returning the count (> 0) or -1 at end of stream.
     *
     * @param parkFirst skip the opening read when no data is expected yet (between keep-alive requests the
     *                  speculative read almost always returns 0: one syscall saved per request)
     */
    int read(ByteBuffer dst, long deadline, boolean parkFirst) throws IOException {
        if (!parkFirst) {
            int n = ch.read(dst);
            if (n != 0) return count(n);
        }
        while (true) {
            awaitOrThrow(SelectionKey.OP_READ, deadline);
            int n = ch.read(dst);
            conn.ackWake();
            if (n != 0) return count(n);
        }
    }

    private int count(int n) {
        if (n > 0) bytesRead += n;
        return n;
    }

    /** Writes all of {@code src}; waits for writability as needed, failing if no progress for {@code timeoutNanos}. */
    void writeFully(ByteBuffer src, long timeoutNanos) throws IOException {
        while (src.hasRemaining()) {
            int n = ch.write(src);
            conn.ackWake();
            if (n > 0) {
                bytesWritten += n;
            } else {
                awaitOrThrow(SelectionKey.OP_WRITE, System.nanoTime() + timeoutNanos);
            }
        }
    }

    private void awaitOrThrow(int ops, long deadline) throws IOException {
        int s = conn.await(ops, deadline);
        if (s == Connection.TIMED_OUT) throw new TimeoutException(ops == SelectionKey.OP_WRITE);
        if (s == Connection.CLOSED) throw new ClosedByServerException();
    }
}
