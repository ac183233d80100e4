package io.weaseldb.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of a log segment. All integers are big-endian (Java's {@link ByteBuffer} default).
 *
 * <pre>
 * file name: &lt;first version, 20 decimal digits zero-padded&gt;.seg      e.g. 00000000000000000001.seg
 *
 * segment header (20 bytes)
 *   0  u32  magic          0x57444C47 ("WDLG")
 *   4  u32  format version 1
 *   8  i64  first version  (equals the file name; the version the segment's first record has or will have)
 *  16  u32  CRC32C of bytes 0..15
 *
 * record (repeated until end of file; 32 + R + P bytes)
 *   0  u32  length N       bytes after the CRC field: N = 24 + R + P, 24 ≤ N ≤ maxRecordBytes
 *   4  u32  CRC32C         over bytes 0..3 (the length) followed by bytes 8..8+N (the body)
 *   8  i64  version        exactly the previous record's version + 1 (first = header's first version)
 *  16  i64  timestamp      milliseconds since the epoch
 *  24  u32  R              request-id length
 *  28  R    request id     UTF-8
 *  28+R u32 P              payload length
 *  32+R P   payload        opaque bytes
 * </pre>
 *
 * Covering the length by the CRC means a damaged length field cannot silently re-frame the rest of the file.
 */
final class LogFormat {
    static final int MAGIC = 0x57444C47;
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 20;
    /** Length + CRC. */
    static final int RECORD_PREFIX_BYTES = 8;
    /** version + timestamp + request-id length + payload length. */
    static final int MIN_BODY_BYTES = 24;
    static final int MIN_RECORD_BYTES = RECORD_PREFIX_BYTES + MIN_BODY_BYTES;
    static final String SUFFIX = ".seg";
    private static final int NAME_DIGITS = 20;

    private LogFormat() { }

    static String fileName(long firstVersion) {
        String digits = Long.toString(firstVersion);
        return "0".repeat(NAME_DIGITS - digits.length()) + digits + SUFFIX;
    }

    /** The first version encoded in a segment's file name, or -1 if the name is not a segment name. */
    static long parseFileName(Path file) {
        String name = file.getFileName().toString();
        if (name.length() != NAME_DIGITS + SUFFIX.length() || !name.endsWith(SUFFIX)) return -1;
        long v = 0;
        for (int i = 0; i < NAME_DIGITS; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') return -1;
            if (v > (Long.MAX_VALUE - (c - '0')) / 10) return -1;
            v = v * 10 + (c - '0');
        }
        return v >= 1 ? v : -1;
    }

    /**
     * The CRC32C of a record framed as length u32 | CRC u32 | body: over the length field and the {@code bodyLength}
     * body bytes, the record starting at {@code a[at]} (the commit log's records and the ban journal's).
     */
    static int recordCrc(CRC32C crc, byte[] a, int at, int bodyLength) {
        crc.reset();
        crc.update(a, at, 4);
        crc.update(a, at + RECORD_PREFIX_BYTES, bodyLength);
        return (int) crc.getValue();
    }

    static ByteBuffer encodeHeader(long firstVersion) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.putInt(MAGIC).putInt(FORMAT_VERSION).putLong(firstVersion);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Returns null when {@code header} (20 bytes) is a valid header for {@code expectedFirstVersion}, else what is wrong. */
    static String checkHeader(ByteBuffer header, long expectedFirstVersion) {
        int magic = header.getInt(0);
        int format = header.getInt(4);
        long first = header.getLong(8);
        int stored = header.getInt(16);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), header.arrayOffset(), 16);
        if (magic != MAGIC) return String.format("bad segment magic 0x%08X (expected 0x%08X)", magic, MAGIC);
        if (stored != (int) crc.getValue()) {
            return String.format("segment header CRC32C mismatch (stored 0x%08X, computed 0x%08X)", stored, (int) crc.getValue());
        }
        if (format != FORMAT_VERSION) return "unsupported segment format version " + format + " (this build reads " + FORMAT_VERSION + ")";
        if (first != expectedFirstVersion) {
            return "segment header says first version " + first + " but the file name says " + expectedFirstVersion;
        }
        return null;
    }
}
