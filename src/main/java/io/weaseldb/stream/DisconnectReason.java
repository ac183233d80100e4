package io.weaseldb.stream;

/** Why an event stream ended; the {@code reason} tag of {@code weaseldb.subscribers.disconnected}. */
public enum DisconnectReason {
    /** Fell more than {@code max_buffer_size_bytes} behind the newest event (it may resume with Last-Event-ID). */
    SLOW("slow"),
    /** The server is draining or the feed was closed. */
    SHUTDOWN("shutdown"),
    /** A write failed: the client went away (or stopped reading until the write timeout). */
    CLIENT_GONE("client_gone"),
    /** The versions it still needed were truncated from the log while it replayed (resuming answers 410). */
    TRUNCATED("truncated");

    private final String tag;

    DisconnectReason(String tag) {
        this.tag = tag;
    }

    /** The metric tag value. */
    public String tag() {
        return tag;
    }
}
