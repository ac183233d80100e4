package io.weaseldb.http;

/**
 * A growable byte array that responses are serialized into; owned by one connection and reused for every
 * response (the seed's per-connection arena), so writing a response allocates nothing once it has grown.
 * It shrinks back to its initial capacity on {@link #reset()} when a large response made it grow past
 * {@code retainCapacity}, so one big response does not pin memory for the connection's lifetime.
 */
public final class OutputBuffer {
    private final int initialCapacity;
    private final int retainCapacity;
    private byte[] buf;
    private int size;

    public OutputBuffer(int initialCapacity, int retainCapacity) {
        this.initialCapacity = initialCapacity;
        this.retainCapacity = retainCapacity;
        this.buf = new byte[initialCapacity];
    }

    public byte[] array() { return buf; }
    public int size() { return size; }
    public boolean isEmpty() { return size == 0; }

    public void reset() {
        size = 0;
        if (buf.length > retainCapacity) buf = new byte[initialCapacity];
    }

    /** Drops the first {@code n} bytes (they were written to the socket). */
    public void consume(int n) {
        if (n >= size) {
            size = 0;
        } else {
            System.arraycopy(buf, n, buf, 0, size - n);
            size -= n;
        }
    }

    private void ensure(int extra) {
        if (size + extra > buf.length) {
            int cap = Math.max(buf.length * 2, size + extra);
            buf = java.util.Arrays.copyOf(buf, cap);
        }
    }

    public OutputBuffer write(byte[] b) {
        return write(b, 0, b.length);
    }

    public OutputBuffer write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    public OutputBuffer write(byte b) {
        ensure(1);
        buf[size++] = b;
        return this;
    }

    /** Writes an ASCII/Latin-1 string without allocating (chars above 0xFF become '?'). */
    public OutputBuffer writeAscii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            buf[size++] = c <= 0xFF ? (byte) c : (byte) '?';
        }
        return this;
    }

    /** Writes a non-negative decimal without allocating. */
    public OutputBuffer writeDecimal(long v) {
        if (v < 0) {
            write((byte) '-');
            v = -v;
        }
        ensure(20);
        int start = size;
        do {
            buf[size++] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        for (int i = start, j = size - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return this;
    }
}
