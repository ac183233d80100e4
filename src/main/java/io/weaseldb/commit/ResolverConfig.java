package io.weaseldb.commit;

import java.time.Duration;

/**
 * Bounds of the resolver's in-memory state ({@code [commit]} config).
 *
 * @param historyMaxVersions         versions kept for precondition checks
 * @param historyMaxBytes            estimated memory kept for precondition checks
 * @param requestIdRetention         {@code request_id_retention_hours}
 * @param requestIdRetentionVersions {@code request_id_retention_versions}
 */
public record ResolverConfig(long historyMaxVersions, long historyMaxBytes, Duration requestIdRetention,
                             long requestIdRetentionVersions) {
    public static final ResolverConfig DEFAULTS = new ResolverConfig(ConflictHistory.DEFAULT_MAX_VERSIONS,
            ConflictHistory.DEFAULT_MAX_BYTES, Duration.ofHours(1), 100_000);

    public ResolverConfig {
        if (historyMaxVersions < 0 || historyMaxBytes < 0 || requestIdRetention.isNegative() || requestIdRetentionVersions < 0) {
            throw new IllegalArgumentException("negative bound in " + historyMaxVersions + "/" + historyMaxBytes + "/"
                    + requestIdRetention + "/" + requestIdRetentionVersions);
        }
    }
}
