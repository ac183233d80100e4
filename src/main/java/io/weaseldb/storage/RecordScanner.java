package io.weaseldb.storage;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads records of one segment forward from a byte offset, validating framing and CRC of each. Used both by
 * recovery (which only needs versions and offsets) and by readers (which also decode). Not thread-safe: one
 * scanner per reader. Uses positional reads, so it never moves the channel's position.
 */
final class RecordScanner {
    enum Result { RECORD, END, INVALID }

    private static final int INITIAL_BUFFER = 64 * 1024;

    private final FileChannel channel;
    private final long end;
    private final int maxRecordBytes;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer buf = ByteBuffer.allocate(INITIAL_BUFFER);
    /** File offset of {@code buf}'s index 0; valid bytes are [0, buf.limit()). */
    private long bufStart;
    private long offset;

    // Fields of the record returned by the last RECORD result.
    private long recordOffset;
    private int recordBytes;
    private long version;
    private long timestampMillis;
    private int requestIdAt;
    private int requestIdLength;
    private int payloadAt;
    private int payloadLength;
    private String problem;

    /** Scans {@code [start, end)} of {@code channel}; {@code end} is normally the file size when scanning started. */
    RecordScanner(FileChannel channel, long start, long end, int maxRecordBytes) {
        this.channel = channel;
        this.end = end;
        this.maxRecordBytes = maxRecordBytes;
        this.offset = start;
        this.bufStart = start;
        buf.limit(0);
    }

    /**
     * Advances over the next record. RECORD: the accessors describe it. END: the offset is exactly at the end.
     * INVALID: {@link #problem()} says why and {@link #offset()} stays at the bad record.
     */
    Result next() throws IOException {
        long remaining = end - offset;
        if (remaining == 0) return Result.END;
        if (remaining < LogFormat.RECORD_PREFIX_BYTES) {
            return invalid("incomplete record prefix: " + remaining + " of " + LogFormat.RECORD_PREFIX_BYTES + " bytes before end of file");
        }
        int at = fill(LogFormat.RECORD_PREFIX_BYTES);
        int length = buf.getInt(at);
        int storedCrc = buf.getInt(at + 4);
        if (length < LogFormat.MIN_BODY_BYTES || length > maxRecordBytes) {
            return invalid("record length " + Integer.toUnsignedString(length) + " outside [" + LogFormat.MIN_BODY_BYTES + ", " + maxRecordBytes + "]");
        }
        if (remaining - LogFormat.RECORD_PREFIX_BYTES < length) {
            return invalid("incomplete record: length says " + length + " body bytes but only "
                    + (remaining - LogFormat.RECORD_PREFIX_BYTES) + " remain before end of file");
        }
        at = fill(LogFormat.RECORD_PREFIX_BYTES + length);
        int computed = LogFormat.recordCrc(crc, buf.array(), buf.arrayOffset() + at, length);
        if (computed != storedCrc) {
            return invalid(String.format("record CRC32C mismatch (stored 0x%08X, computed 0x%08X)", storedCrc, computed));
        }
        int body = at + LogFormat.RECORD_PREFIX_BYTES;
        int ridLength = buf.getInt(body + 16);
        if (ridLength < 0 || ridLength > length - LogFormat.MIN_BODY_BYTES) {
            return invalid("request-id length " + Integer.toUnsignedString(ridLength) + " does not fit record length " + length);
        }
        int pLength = buf.getInt(body + 20 + ridLength);
        if (pLength != length - LogFormat.MIN_BODY_BYTES - ridLength) {
            return invalid("payload length " + Integer.toUnsignedString(pLength) + " inconsistent with record length " + length);
        }
        recordOffset = offset;
        recordBytes = LogFormat.RECORD_PREFIX_BYTES + length;
        version = buf.getLong(body);
        timestampMillis = buf.getLong(body + 8);
        requestIdAt = body + 20;
        requestIdLength = ridLength;
        payloadAt = body + 24 + ridLength;
        payloadLength = pLength;
        problem = null;
        offset += recordBytes;
        return Result.RECORD;
    }

    private Result invalid(String why) {
        problem = why;
        return Result.INVALID;
    }

    /** Ensures bytes [offset, offset + n) are in the buffer; returns the buffer index of {@code offset}. */
    private int fill(int n) throws IOException {
        long have = bufStart + buf.limit() - offset;
        if (offset >= bufStart && have >= n) return (int) (offset - bufStart);
        // Keep the unread tail, then read more after it.
        int keep = (offset >= bufStart && have > 0) ? (int) have : 0;
        ByteBuffer target = buf;
        if (buf.capacity() < n) {
            target = ByteBuffer.allocate(Math.max(n, Math.min(buf.capacity() * 2, maxRecordBytes + LogFormat.RECORD_PREFIX_BYTES)));
        }
        if (keep > 0) System.arraycopy(buf.array(), (int) (offset - bufStart), target.array(), 0, keep);
        buf = target;
        buf.clear().position(keep);
        bufStart = offset;
        long readAt = offset + keep;
        int want = (int) Math.min(buf.capacity() - keep, end - readAt);
        buf.limit(keep + want);
        while (buf.hasRemaining()) {
            int r = channel.read(buf, readAt);
            if (r < 0) throw new EOFException("file shrank while being read: expected data up to offset " + end);
            readAt += r;
        }
        buf.flip();
        return 0;
    }

    /** Offset of the next record to scan (after RECORD), or of the bad record (after INVALID). */
    long offset() { return offset; }
    long recordOffset() { return recordOffset; }
    int recordBytes() { return recordBytes; }
    long version() { return version; }
    String problem() { return problem; }

    long timestampMillis() { return timestampMillis; }

    String requestId() {
        return new String(buf.array(), buf.arrayOffset() + requestIdAt, requestIdLength, StandardCharsets.UTF_8);
    }

    LogRecord decode() {
        byte[] a = buf.array();
        int o = buf.arrayOffset();
        byte[] payload = Arrays.copyOfRange(a, o + payloadAt, o + payloadAt + payloadLength);
        return new LogRecord(version, requestId(), timestampMillis, payload);
    }
}
