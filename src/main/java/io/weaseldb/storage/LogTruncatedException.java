package io.weaseldb.storage;

import java.io.IOException;

/**
 * A read asked for versions the log no longer retains (they were removed by
 * {@link CommitLog#truncateBefore}). Subscribers map this to {@code 410 log_truncated}.
 */
public final class LogTruncatedException extends IOException {
    private final long requestedVersion;
    private final long oldestVersion;

    public LogTruncatedException(long requestedVersion, long oldestVersion) {
        super("version " + requestedVersion + " is no longer retained; the oldest retained version is " + oldestVersion);
        this.requestedVersion = requestedVersion;
        this.oldestVersion = oldestVersion;
    }

    public long requestedVersion() { return requestedVersion; }

    public long oldestVersion() { return oldestVersion; }
}
