package io.weaseldb.commit;

/**
 * The definitive answer to {@code GET /v1/status}.
 *
 * @param kind    what is known about the request id
 * @param version its version when {@link Kind#COMMITTED}, else 0
 */
public record RequestStatus(Kind kind, long version) {
    public enum Kind {
        COMMITTED("committed"), NOT_COMMITTED("not_committed"), LOG_TRUNCATED("log_truncated");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        /** The value of the response's {@code status} field. */
        public String wireName() {
            return wireName;
        }
    }

    public static final RequestStatus NOT_COMMITTED = new RequestStatus(Kind.NOT_COMMITTED, 0);
    public static final RequestStatus LOG_TRUNCATED = new RequestStatus(Kind.LOG_TRUNCATED, 0);

    public static RequestStatus committed(long version) {
        return new RequestStatus(Kind.COMMITTED, version);
    }
}
