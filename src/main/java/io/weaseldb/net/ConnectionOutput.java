package io.weaseldb.net;

import io.weaseldb.http.OutputBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A connection's way out: answers are gathered in one reused {@link OutputBuffer} (so pipelined answers leave in one
 * write) and written through {@link ChannelIo}, whose writes park the connection's thread while the socket is full.
 * Large bodies go out from the caller's array instead of being copied.
 */
final class ConnectionOutput {
    /** Output is flushed before it grows past this while pipelined requests are answered back to back. */
    static final int FLUSH_THRESHOLD = 32 * 1024;
    /** Bodies larger than this are written from the caller's array instead of being copied. */
    private static final int COPY_LIMIT = 16 * 1024;

    private final OutputBuffer out = new OutputBuffer(1024, 64 * 1024); // grows for pipelined or large answers
    private final ChannelIo io;
    private final long writeTimeoutNanos;
    private ByteBuffer view;

    ConnectionOutput(ChannelIo io, long writeTimeoutNanos) {
        this.io = io;
        this.writeTimeoutNanos = writeTimeoutNanos;
    }

    /** Where response heads and small bodies are written; sent by {@link #flush}. */
    OutputBuffer buffer() {
        return out;
    }

    /** Appends a body: copied when small, else written at once after what is buffered (the order stays). */
    void writeBody(byte[] b, int off, int len) throws IOException {
        if (len > COPY_LIMIT) {
            writeDirect(b, off, len);
        } else {
            out.write(b, off, len);
        }
    }

    /** True once enough is buffered that pipelined answers should go out before more are added. */
    boolean full() {
        return out.size() >= FLUSH_THRESHOLD;
    }

    /** Writes what is buffered (nothing to do when empty), parking while the socket is full, up to the write timeout. */
    void flush() throws IOException {
        if (out.isEmpty()) return;
        if (view == null || view.array() != out.array()) view = ByteBuffer.wrap(out.array());
        view.limit(out.size()).position(0);
        try {
            io.writeFully(view, writeTimeoutNanos);
        } finally {
            out.reset();
        }
    }

    /** Best effort before closing: the client may be gone, which is no error of ours. */
    void flushQuietly() {
        try {
            flush();
        } catch (IOException ignored) {
            // nobody left to read it
        }
    }

    /**
     * Writes {@code b} itself rather than a copy, after what is buffered: a large body or event must not be held
     * twice while we wait.
     */
    private void writeDirect(byte[] b, int off, int len) throws IOException {
        flush();
        io.writeFully(ByteBuffer.wrap(b, off, len), writeTimeoutNanos);
    }

    /**
     * A body written as it is produced (an event stream), flushed whenever the buffer fills. A large write goes out
     * from the caller's array, which for a subscriber is the event's bytes shared by every stream: copied into this
     * connection's buffer, a subscriber that stops reading would keep its own copy of each large event while it waits
     * (1000 of them and one 930 KB event ran a 512 MiB heap out of memory in the soak audit).
     */
    OutputStream stream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write((byte) b);
                if (full()) ConnectionOutput.this.flush();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writeBody(b, off, len);
                if (full()) ConnectionOutput.this.flush();
            }

            @Override
            public void flush() throws IOException {
                ConnectionOutput.this.flush();
            }

            @Override
            public void close() throws IOException {
                ConnectionOutput.this.flush();
            }
        };
    }
}
