package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON bodies of {@code /v1/commit} and {@code /v1/status} responses, exactly as API.md spells them
 * (field order included), with strings escaped by jackson. All {@code application/json}.
 */
public final class CommitResponses {
    public static final String CONTENT_TYPE = "application/json";

    private CommitResponses() { }

    /** HTTP status for a resolved commit: 200, 409, or 400. */
    public static int status(Outcome o) {
        return switch (o.kind()) {
            case COMMITTED, DUPLICATE -> 200;
            case BAD_REQUEST -> 400;
            default -> 409;
        };
    }

    /** Body for a resolved commit. */
    public static byte[] body(Outcome o) {
        return switch (o.kind()) {
            case COMMITTED, DUPLICATE -> committed(o.version(), o.requestId(), o.leaderId());
            case CONFLICT -> conflict(o.requestId(), o.conflicts());
            case LEADER_MISMATCH -> leaderMismatch(o.leaderId());
            case READ_VERSION_TOO_OLD -> readVersionTooOld(o.oldestVersion());
            case REQUEST_ID_BANNED -> requestIdBanned(o.requestId());
            case BAD_REQUEST -> badRequest(o.message());
        };
    }

    /** {@code {"status":"committed","version":N,"request_id":"…","leader_id":"…"}} */
    public static byte[] committed(long version, String requestId, String leaderId) {
        return committed(version, requestId, leaderId, null, null);
    }

    /**
     * The committed body written into {@code reuse} when it is large enough (else a new array), its length stored in
     * {@code length[0]}: the hot answer, built per commit, need not allocate on a connection that keeps a buffer.
     */
    static byte[] committed(long version, String requestId, String leaderId, byte[] reuse, int[] length) {
        // Assembled directly, no generator per response, and no escaping pass for the plain ASCII ids that are nearly
        // all of them (jackson escapes the rest).
        byte[] id = isPlainAscii(requestId) ? null : JsonStringEncoder.getInstance().quoteAsUTF8(requestId);
        byte[] leader = isPlainAscii(leaderId) ? null : JsonStringEncoder.getInstance().quoteAsUTF8(leaderId);
        int digits = decimalDigits(version);
        int size = COMMITTED_1.length + digits + COMMITTED_2.length + (id == null ? requestId.length() : id.length)
            + COMMITTED_3.length + (leader == null ? leaderId.length() : leader.length) + 2;
        byte[] out = reuse != null && reuse.length >= size ? reuse : new byte[size];
        int n = put(out, 0, COMMITTED_1);
        for (long v = version, i = n + digits - 1; i >= n; i--, v /= 10) out[(int) i] = (byte) ('0' + v % 10);
        n = put(out, n + digits, COMMITTED_2);
        n = id == null ? putAscii(out, n, requestId) : put(out, n, id);
        n = put(out, n, COMMITTED_3);
        n = leader == null ? putAscii(out, n, leaderId) : put(out, n, leader);
        out[n++] = '"';
        out[n] = '}';
        if (length != null) length[0] = size;
        return out;
    }

    /** True when s needs no JSON escaping and is its own UTF-8 encoding. */
    private static boolean isPlainAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
        }
        return true;
    }

    private static int putAscii(byte[] dst, int at, String s) {
        s.getBytes(0, s.length(), dst, at);  // deprecated for its lossy narrowing, exact for ASCII
        return at + s.length();
    }

    /** Digits of a non-negative version. */
    private static int decimalDigits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    private static final byte[] COMMITTED_1 = "{\"status\":\"committed\",\"version\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMITTED_2 = ",\"request_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMITTED_3 = "\",\"leader_id\":\"".getBytes(StandardCharsets.US_ASCII);

    private static int put(byte[] dst, int at, byte[] src) {
        System.arraycopy(src, 0, dst, at, src.length);
        return at + src.length;
    }

    /** {@code {"status":"not_committed","reason":"conflict","request_id":"…","conflicts":[0,2]}} */
    public static byte[] conflict(String requestId, int[] conflicts) {
        return write(g -> {
            notCommitted(g, "conflict");
            g.writeStringField("request_id", requestId);
            g.writeFieldName("conflicts");
            g.writeArray(conflicts, 0, conflicts.length);
        });
    }

    /** {@code {"status":"not_committed","reason":"leader_mismatch","leader_id":"<current>"}} */
    public static byte[] leaderMismatch(String currentLeaderId) {
        return write(g -> {
            notCommitted(g, "leader_mismatch");
            g.writeStringField("leader_id", currentLeaderId);
        });
    }

    /** {@code {"status":"not_committed","reason":"read_version_too_old","oldest_version":N}} */
    public static byte[] readVersionTooOld(long oldestVersion) {
        return write(g -> {
            notCommitted(g, "read_version_too_old");
            g.writeNumberField("oldest_version", oldestVersion);
        });
    }

    /** {@code {"status":"not_committed","reason":"request_id_banned","request_id":"…"}} */
    public static byte[] requestIdBanned(String requestId) {
        return write(g -> {
            notCommitted(g, "request_id_banned");
            g.writeStringField("request_id", requestId);
        });
    }

    /** {@code {"request_id":"ID","status":"committed","version":N}}, or without version for the other answers. */
    public static byte[] status(String requestId, RequestStatus status) {
        return write(g -> {
            g.writeStringField("request_id", requestId);
            g.writeStringField("status", status.kind().wireName());
            if (status.kind() == RequestStatus.Kind.COMMITTED) {
                g.writeNumberField("version", status.version());
            }
        });
    }

    /** {@code {"version":N,"leader_id":"…"}} for {@code GET /v1/version}. */
    public static byte[] version(long version, String leaderId) {
        return write(g -> {
            g.writeNumberField("version", version);
            g.writeStringField("leader_id", leaderId);
        });
    }

    /** {@code {"error":"bad_request","message":"…"}} */
    public static byte[] badRequest(String message) {
        return error("bad_request", message);
    }

    /** {@code {"error":"<code>","message":"…"}} */
    public static byte[] error(String code, String message) {
        return write(g -> {
            g.writeStringField("error", code);
            g.writeStringField("message", message);
        });
    }

    /** 503 after a log failure: the commit's outcome is unknown until the log is read again (see CommitPipeline). */
    public static byte[] storageUnavailable(String requestId) {
        return unavailable(requestId, "the commit log failed before this commit was durable, so it may or may not be"
            + " committed; this server accepts no more commits. Ask /v1/status for request_id once a server runs again:"
            + " it answers definitively");
    }

    /**
     * 503 for a status query after a storage failure: its ban could not be made durable (or the commit it would
     * report was not), so no answer is given rather than one a restart could contradict.
     */
    public static byte[] statusUnavailable(String requestId) {
        return unavailable(requestId, "storage failed before this answer could be made durable, so none is given;"
            + " this server accepts no more commits. Ask /v1/status for request_id again once a server runs again:"
            + " it answers definitively");
    }

    private static byte[] unavailable(String requestId, String message) {
        return write(g -> {
            g.writeStringField("error", "storage_unavailable");
            g.writeStringField("message", message);
            g.writeStringField("request_id", requestId);
        });
    }

    private static void notCommitted(JsonGenerator g, String reason) throws IOException {
        g.writeStringField("status", "not_committed");
        g.writeStringField("reason", reason);
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Fields fields) {
        ByteArrayBuilder out = new ByteArrayBuilder(128);
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // never: the target is memory
        }
        return out.toByteArray();
    }
}
