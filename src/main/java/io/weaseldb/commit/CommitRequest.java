package io.weaseldb.commit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A parsed, validated commit request, independent of its wire format. Immutable once built.
 * Every parser builds one through {@link Builder}, which applies the format-independent rules
 * (sizes, ranges, versions, request id length) so each wire format gets them, and their
 * messages, identically.
 */
public final class CommitRequest {
    private final String requestId;
    private final String leaderId;
    private final long readVersion;
    private final boolean hasReadVersion;
    private final List<Precondition> preconditions;
    private final List<Operation> operations;

    private CommitRequest(Builder b) {
        this.requestId = b.requestId;
        this.leaderId = b.leaderId;
        this.readVersion = b.readVersion;
        this.hasReadVersion = b.hasReadVersion;
        this.preconditions = Collections.unmodifiableList(b.preconditions);
        this.operations = Collections.unmodifiableList(b.operations);
    }

    public static Builder builder(CommitLimits limits) {
        return new Builder(limits);
    }

    /** The client's request id, or null when it sent none (the resolver then generates one). */
    public String requestId() {
        return requestId;
    }

    /** The leader the client expects, or null. */
    public String leaderId() {
        return leaderId;
    }

    public boolean hasReadVersion() {
        return hasReadVersion;
    }

    /** Meaningful only when {@link #hasReadVersion()}. */
    public long readVersion() {
        return readVersion;
    }

    public List<Precondition> preconditions() {
        return preconditions;
    }

    public List<Operation> operations() {
        return operations;
    }

    /** The version precondition {@code index} reads at: its own, else {@code read_version}. */
    public long effectiveVersion(int index) {
        Precondition p = preconditions.get(index);
        return p.hasVersion() ? p.version() : readVersion;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommitRequest r && Objects.equals(requestId, r.requestId) && Objects.equals(leaderId, r.leaderId)
                && hasReadVersion == r.hasReadVersion && readVersion == r.readVersion
                && preconditions.equals(r.preconditions) && operations.equals(r.operations);
    }

    @Override
    public int hashCode() {
        return Objects.hash(requestId, leaderId, readVersion, preconditions, operations);
    }

    @Override
    public String toString() {
        return "CommitRequest{request_id=" + requestId + ", leader_id=" + leaderId
                + ", read_version=" + (hasReadVersion ? readVersion : "absent")
                + ", preconditions=" + preconditions + ", operations=" + operations + "}";
    }

    /**
     * Accumulates one request; each method validates what it can see and names the offending field by
     * its API path ({@code operations[3].key}); {@link #build()} checks what needs the whole request.
     * Single use, not thread-safe.
     */
    public static final class Builder {
        private final CommitLimits limits;
        private String requestId;
        private String leaderId;
        private long readVersion;
        private boolean hasReadVersion;
        private final ArrayList<Precondition> preconditions = new ArrayList<>(4);
        private final ArrayList<Operation> operations = new ArrayList<>(8);
        private boolean built;

        private Builder(CommitLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
        }

        public CommitLimits limits() {
            return limits;
        }

        public Builder requestId(String id) throws CommitRequestException {
            if (id != null) {
                requireWellFormed("request_id", id);
                int nul = id.indexOf('\u0000');
                if (nul >= 0) {
                    // Stored raw in the log, where recovery relies on records never holding long runs of zero bytes
                    // to tell a write lost at a power cut from corruption (storage.LogRecovery#lostWrite).
                    throw new CommitRequestException("request_id: NUL (\\u0000) at character " + nul + " is not allowed");
                }
                int length = id.codePointCount(0, id.length());
                if (length < limits.minRequestIdLength()) {
                    throw new CommitRequestException("request_id: must be at least " + limits.minRequestIdLength()
                            + " characters, got " + length);
                }
                int bytes = io.weaseldb.storage.Utf8.encodedLength(id);
                if (bytes > CommitLimits.MAX_REQUEST_ID_BYTES) {
                    throw new CommitRequestException("request_id: must be at most " + CommitLimits.MAX_REQUEST_ID_BYTES
                            + " bytes in UTF-8, got " + bytes);
                }
            }
            this.requestId = id;
            return this;
        }

        public Builder leaderId(String id) throws CommitRequestException {
            if (id != null) {
                requireWellFormed("leader_id", id);
            }
            this.leaderId = id;
            return this;
        }

        /**
         * Refuses an unpaired surrogate (JSON can spell one, {@code "\\ud800"}): such a string has no UTF-8
         * form, so it could be neither logged nor echoed back exactly.
         */
        private static void requireWellFormed(String field, String s) throws CommitRequestException {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new CommitRequestException(String.format("%s: unpaired surrogate \\u%04X at character %d",
                            field, (int) c, i));
                }
            }
        }

        public Builder readVersion(long version) throws CommitRequestException {
            if (version < 0) {
                throw new CommitRequestException("read_version: must be >= 0, got " + version);
            }
            this.readVersion = version;
            this.hasReadVersion = true;
            return this;
        }

        public Builder pointRead(byte[] key, boolean hasVersion, long version) throws CommitRequestException {
            int i = preconditions.size();
            checkKey("preconditions", i, "key", key, limits.maxKeyBytes());
            checkVersion(i, hasVersion, version);
            preconditions.add(hasVersion ? Precondition.pointRead(key, version) : Precondition.pointRead(key));
            return this;
        }

        public Builder rangeRead(byte[] begin, byte[] end, boolean hasVersion, long version) throws CommitRequestException {
            int i = preconditions.size();
            checkRange("preconditions", i, begin, end);
            checkVersion(i, hasVersion, version);
            preconditions.add(hasVersion ? Precondition.rangeRead(begin, end, version) : Precondition.rangeRead(begin, end));
            return this;
        }

        public Builder write(byte[] key, byte[] value) throws CommitRequestException {
            int i = operations.size();
            checkKey("operations", i, "key", key, limits.maxKeyBytes());
            checkKey("operations", i, "value", value, limits.maxValueBytes());
            operations.add(Operation.write(key, value));
            return this;
        }

        public Builder delete(byte[] key) throws CommitRequestException {
            int i = operations.size();
            checkKey("operations", i, "key", key, limits.maxKeyBytes());
            operations.add(Operation.delete(key));
            return this;
        }

        public Builder rangeDelete(byte[] begin, byte[] end) throws CommitRequestException {
            checkRange("operations", operations.size(), begin, end);
            operations.add(Operation.rangeDelete(begin, end));
            return this;
        }

        /** Checks the cross-field rules and returns the request; the builder cannot be reused. */
        public CommitRequest build() throws CommitRequestException {
            if (built) {
                throw new IllegalStateException("already built");
            }
            if (!hasReadVersion) {
                for (int i = 0; i < preconditions.size(); i++) {
                    if (!preconditions.get(i).hasVersion()) {
                        throw CommitRequestException.at("preconditions", i, "version", "required when read_version is absent");
                    }
                }
            }
            built = true;
            return new CommitRequest(this);
        }

        private void checkVersion(int index, boolean hasVersion, long version) throws CommitRequestException {
            if (hasVersion && version < 0) {
                throw CommitRequestException.at("preconditions", index, "version", "must be >= 0, got " + version);
            }
        }

        private void checkRange(String list, int index, byte[] begin, byte[] end) throws CommitRequestException {
            checkKey(list, index, "begin", begin, limits.maxRangeBoundBytes());
            checkKey(list, index, "end", end, limits.maxRangeBoundBytes());
            if (Arrays.compareUnsigned(begin, end) > 0) {
                throw CommitRequestException.at(list, index, null, "begin > end");
            }
        }

        private static void checkKey(String list, int index, String field, byte[] bytes, int limit) throws CommitRequestException {
            if (bytes == null) {
                throw CommitRequestException.at(list, index, field, "required");
            }
            if (bytes.length > limit) {
                throw CommitRequestException.tooLarge(CommitRequestException.path(list, index, field), bytes.length, limit);
            }
        }
    }
}
