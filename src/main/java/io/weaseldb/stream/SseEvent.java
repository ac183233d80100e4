package io.weaseldb.stream;

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
 * Immutable with final fields only, so a reference read through a data race (a ring slot) still shows a fully
 * built event (JLS 17.5): the ring relies on that.
 */
final class SseEvent {
    private static final byte[] SUFFIX = "}\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_OPERATIONS = "[]".getBytes(StandardCharsets.US_ASCII);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    final long version;
    /** Bytes of all events published before this one since the feed started: its position in the feed's byte stream. */
    final long offset;
    final byte[] bytes;

    SseEvent(long version, long offset, byte[] bytes) {
        this.version = version;
        this.offset = offset;
        this.bytes = bytes;
    }

    /** Offset of the event after this one. */
    long end() {
        return offset + bytes.length;
    }

    /**
     * The event's bytes. The payload (the operations JSON array from the commit package) is embedded verbatim,
     * except that CR and LF become spaces: they can only be insignificant JSON whitespace (JSON strings cannot
     * hold them raw), and inside a {@code data:} line they would end the field. Deterministic: replay from disk
     * renders the same bytes as the live ring, which the lag accounting relies on.
     */
    static byte[] render(LogRecord r) {
        StringBuilder head = new StringBuilder(80 + r.requestId().length());
        long v = r.version();
        head.append("id: ").append(v).append("\nevent: commit\ndata: {\"version\":").append(v).append(",\"request_id\":");
        quote(head, r.requestId());
        head.append(",\"operations\":");
        byte[] prefix = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] payload = r.payload().length == 0 ? EMPTY_OPERATIONS : r.payload();
        byte[] out = new byte[prefix.length + payload.length + SUFFIX.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        int p = prefix.length;
        for (byte b : payload) out[p++] = (b == '\n' || b == '\r') ? (byte) ' ' : b;
        System.arraycopy(SUFFIX, 0, out, p, SUFFIX.length);
        return out;
    }

    /** Appends {@code s} as a JSON string literal (RFC 8259 §7). */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 15]);
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
