package io.weaseldb.net;

import java.lang.management.ManagementFactory;

/**
 * Keeps connections from taking the file descriptors the server itself needs. Every connection is a
 * descriptor; when clients can take them all, the commit log cannot open its next segment, and a log that
 * cannot write stops the server from committing until it restarts. So the connection limit is lowered to the
 * process's descriptor limit minus a reserve (log segments, retention file, selectors, the runtime's own),
 * and connections beyond it get the ordinary 503.
 */
final class ConnectionLimit {
    /** Descriptors kept for everything but connections. */
    static final int RESERVED_DESCRIPTORS = 256;

    private ConnectionLimit() { }

    /** {@code configured}, lowered to {@code fileLimit - RESERVED_DESCRIPTORS} (at least 1) when the limit is known (> 0). */
    static int effective(int configured, long fileLimit) {
        if (fileLimit <= 0) return configured;
        return (int) Math.max(1, Math.min(configured, fileLimit - RESERVED_DESCRIPTORS));
    }

    /** The process's open-file limit (the JVM raises the soft limit to the hard one at start), or -1 if unknown. */
    static long processFileLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
            ? unix.getMaxFileDescriptorCount() : -1;
    }
}
