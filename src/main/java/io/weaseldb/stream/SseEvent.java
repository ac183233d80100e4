package io.weaseldb.stream;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.weaseldb.storage.LogRecord;
import java.nio.charset.StandardCharsets;

/**
 * One committed transaction rendered once as Server-Sent-Events bytes, shared read-only by every subscriber:
 * <pre>
 * id: &lt;v&gt;
 * event: commit
 * data: {"version":&lt;v&gt;,"request_id":"&lt;escaped&gt;","operations":&lt;payload&gt;}
 * (blank line)
 * </pre>
 * Its length is known at once (the feed's offsets need it); the bytes are rendered only when a subscriber first
 * asks for them, so with nobody subscribed the persist stage neither builds nor retains a copy of every commit.
 * Safe to share through a data race (a ring slot): the other fields are final (JLS 17.5), and the content field
 * is volatile, holding either the record or, once rendered, the bytes. Rendering is deterministic, so readers
 * that race to render the same event produce equal arrays and either may be kept.
 */
final class SseEvent {
    private static final byte[] ID = ascii("id: ");
    private static final byte[] DATA = ascii("\nevent: commit\ndata: {\"version\":");
    private static final byte[] REQUEST_ID = ascii(",\"request_id\":\"");
    private static final byte[] OPERATIONS = ascii("\",\"operations\":");
    private static final byte[] SUFFIX = ascii("}\n\n");
    private static final byte[] EMPTY_OPERATIONS = ascii("[]");

    final long version;
    /** Bytes of all events published before this one since the feed started: its position in the feed's byte stream. */
    final long offset;
    final int length;
    /** The {@link LogRecord} until someone asks for the bytes, then the rendered {@code byte[]}. */
    private volatile Object content;

    /** The event of a published record, rendered on first use. */
    SseEvent(LogRecord record, long offset) {
        this.version = record.version();
        this.offset = offset;
        this.length = length(record);
        this.content = record;
    }

    /** The zero-length marker of the version a feed starts after. */
    SseEvent(long version, long offset) {
        this.version = version;
        this.offset = offset;
        this.length = 0;
        this.content = new byte[0];
    }

    /** Offset of the event after this one. */
    long end() {
        return offset + length;
    }

    /** The event's bytes, rendered by the first caller. */
    byte[] bytes() {
        Object c = content;  // acquire: a byte[] seen here was filled before it was stored
        if (c instanceof byte[] b) return b;
        byte[] b = render((LogRecord) c);
        content = b;  // release
        return b;
    }

    /** {@link #render}'s length, without rendering. */
    static int length(LogRecord r) {
        int digits = decimalLength(r.version());
        String rid = r.requestId();
        int ridLen = isPlainAscii(rid) ? rid.length() : escapedUtf8(rid).length;
        return FIXED_LENGTH + 2 * digits + ridLen + payload(r).length;
    }

    private static final int FIXED_LENGTH = ID.length + DATA.length + REQUEST_ID.length + OPERATIONS.length + SUFFIX.length;

    private static byte[] payload(LogRecord r) {
        return r.payload().length == 0 ? EMPTY_OPERATIONS : r.payload();
    }

    /**
     * The event's bytes. The payload (the operations JSON array from the commit package) is embedded verbatim,
     * except that CR and LF become spaces: they can only be insignificant JSON whitespace (JSON strings cannot
     * hold them raw), and inside a {@code data:} line they would end the field. Deterministic: replay from disk
     * renders the same bytes as the live ring, which the lag accounting relies on.
     */
    static byte[] render(LogRecord r) {
        long v = r.version();
        String rid = r.requestId();
        byte[] escaped = isPlainAscii(rid) ? null : escapedUtf8(rid); // ids are almost always plain ASCII
        int ridLen = escaped == null ? rid.length() : escaped.length;
        byte[] payload = payload(r);
        int digits = decimalLength(v);
        byte[] out = new byte[FIXED_LENGTH + 2 * digits + ridLen + payload.length];  // = length(r)
        int p = put(out, 0, ID);
        p = putDecimal(out, p, v, digits);
        p = put(out, p, DATA);
        p = putDecimal(out, p, v, digits);
        p = put(out, p, REQUEST_ID);
        if (escaped == null) {
            for (int i = 0; i < ridLen; i++) out[p++] = (byte) rid.charAt(i);
        } else {
            p = put(out, p, escaped);
        }
        p = put(out, p, OPERATIONS);
        for (byte b : payload) out[p++] = (b == '\n' || b == '\r') ? (byte) ' ' : b;
        put(out, p, SUFFIX);
        return out;
    }

    /** True when {@code s} needs no JSON escaping and is its own UTF-8 encoding. */
    private static boolean isPlainAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
        }
        return true;
    }

    private static byte[] escapedUtf8(String s) {
        return JsonStringEncoder.getInstance().quoteAsUTF8(s); // RFC 8259 escaping, UTF-8, without the quotes
    }

    private static int put(byte[] out, int at, byte[] b) {
        System.arraycopy(b, 0, out, at, b.length);
        return at + b.length;
    }

    private static int decimalLength(long v) {
        int n = 1;
        for (long x = v; x >= 10 || x <= -10; x /= 10) n++;
        return v < 0 ? n + 1 : n;
    }

    private static int putDecimal(byte[] out, int at, long v, int digits) {
        int end = at + digits;
        long x = v;
        int i = end;
        do {
            out[--i] = (byte) ('0' + Math.abs(x % 10));
            x /= 10;
        } while (x != 0);
        if (v < 0) out[--i] = '-';
        return end;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
