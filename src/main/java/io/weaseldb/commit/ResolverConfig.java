package io.weaseldb.commit;

import java.time.Duration;

/**
 * Bounds of the resolver's in-memory state ({@code [commit]} config).
 *
 * @param historyMaxVersions         versions kept for precondition checks
 * @param historyMaxBytes            estimated memory kept for precondition checks
 * @param requestIdRetention         {@code request_id_retention_hours}
 * @param requestIdRetentionVersions {@code request_id_retention_versions}
 * @param requestIdMaxEntries        ids kept at most beyond what the versions rule needs (the memory bound)
 */
public record ResolverConfig(long historyMaxVersions, long historyMaxBytes, Duration requestIdRetention,
                             long requestIdRetentionVersions, long requestIdMaxEntries) {
    public static final ResolverConfig DEFAULTS = new ResolverConfig(ConflictHistory.DEFAULT_MAX_VERSIONS,
            ConflictHistory.DEFAULT_MAX_BYTES, Duration.ofHours(1), 100_000);

    public ResolverConfig {
        if (historyMaxVersions < 0 || historyMaxBytes < 0 || requestIdRetention.isNegative() || requestIdRetentionVersions < 0
                || requestIdMaxEntries < 0) {
            throw new IllegalArgumentException("negative bound in " + historyMaxVersions + "/" + historyMaxBytes + "/"
                    + requestIdRetention + "/" + requestIdRetentionVersions + "/" + requestIdMaxEntries);
        }
    }

    /** Without a memory bound on request ids. */
    public ResolverConfig(long historyMaxVersions, long historyMaxBytes, Duration requestIdRetention, long requestIdRetentionVersions) {
        this(historyMaxVersions, historyMaxBytes, requestIdRetention, requestIdRetentionVersions, Long.MAX_VALUE);
    }

    /** The request-id bound for a heap: a quarter of it, at {@link RequestIdIndex#ENTRY_BYTES} per id. */
    public static long requestIdsForHeap(long maxHeapBytes) {
        return Math.max(1, maxHeapBytes / 4 / RequestIdIndex.ENTRY_BYTES);
    }
}
