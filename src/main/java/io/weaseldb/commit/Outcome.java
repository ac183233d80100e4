package io.weaseldb.commit;

/**
 * What the {@link Resolver} decided for one commit request. Mutable and reusable: a pipeline slot can own
 * one and pass it to {@link Resolver#resolve(CommitRequest, Outcome)} for every request it carries; the
 * pipeline's sequence barriers publish it to the persist stage and the waiting handler.
 * {@link CommitResponses#status(Outcome)} and {@link CommitResponses#body(Outcome)} turn it into the response.
 */
public final class Outcome {
    public enum Kind {
        /** Newly committed at {@link #version()}: must be appended to the log, answered once durable. */
        COMMITTED,
        /** The request id had already committed at {@link #version()}: nothing to append; answer 200 once that version is durable. */
        DUPLICATE,
        /** Some preconditions failed: {@link #conflicts()}. */
        CONFLICT,
        /** The request named another leader; {@link #leaderId()} is the current one. */
        LEADER_MISMATCH,
        /** A precondition reads before the conflict history; {@link #oldestVersion()} is the oldest accepted. */
        READ_VERSION_TOO_OLD,
        /** A status query banned this request id before the request was resolved. */
        REQUEST_ID_BANNED,
        /** Rejected as malformed (400): {@link #message()}, e.g. a precondition version in the future. */
        BAD_REQUEST
    }

    private Kind kind;
    private long version;
    private long timestampMillis;
    private String requestId;
    private String leaderId;
    private int[] conflicts;
    private long oldestVersion;
    private String message;

    /** The decision, or null while undecided (cleared for a new request, and left so if deciding failed). */
    public Kind kind() {
        return kind;
    }

    /** Forgets the previous decision, so that a resolve that fails cannot leave an earlier request's answer. */
    void clear() {
        set(null, 0, null, null);
    }

    /** True for {@link Kind#COMMITTED}: the persist stage appends it. */
    public boolean mustPersist() {
        return kind == Kind.COMMITTED;
    }

    /** True when the answer is 200 (committed now or before). */
    public boolean committed() {
        return kind == Kind.COMMITTED || kind == Kind.DUPLICATE;
    }

    /** Commit version for COMMITTED and DUPLICATE; else 0. */
    public long version() {
        return version;
    }

    /** When it was resolved (COMMITTED only): the log record's timestamp, used for request-id retention. */
    public long timestampMillis() {
        return timestampMillis;
    }

    /** The request id (client's or generated) for COMMITTED, DUPLICATE, CONFLICT, REQUEST_ID_BANNED; else null. */
    public String requestId() {
        return requestId;
    }

    /** The current leader for COMMITTED, DUPLICATE and LEADER_MISMATCH; else null. */
    public String leaderId() {
        return leaderId;
    }

    /** Ascending indexes of the failed preconditions (CONFLICT); else null. */
    public int[] conflicts() {
        return conflicts;
    }

    /** Oldest read version accepted (READ_VERSION_TOO_OLD); else 0. */
    public long oldestVersion() {
        return oldestVersion;
    }

    /** Why the request is malformed (BAD_REQUEST); else null. */
    public String message() {
        return message;
    }

    Outcome set(Kind kind, long version, String requestId, String leaderId) {
        this.kind = kind;
        this.version = version;
        this.timestampMillis = 0;
        this.requestId = requestId;
        this.leaderId = leaderId;
        this.conflicts = null;
        this.oldestVersion = 0;
        this.message = null;
        return this;
    }

    Outcome timestampMillis(long millis) {
        this.timestampMillis = millis;
        return this;
    }

    Outcome conflicts(int[] indexes) {
        this.conflicts = indexes;
        return this;
    }

    Outcome oldestVersion(long version) {
        this.oldestVersion = version;
        return this;
    }

    Outcome message(String text) {
        this.message = text;
        return this;
    }

    @Override
    public String toString() {
        return "Outcome{" + kind + ", version=" + version + ", request_id=" + requestId + "}";
    }
}
