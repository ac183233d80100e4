package io.weaseldb.pipeline;

/** Outcome of {@link Pipeline#tryPublish}: publishing never blocks, it fails fast instead. */
public enum PublishResult {
    /** The event is in the ring and will be processed by every stage. */
    PUBLISHED,
    /** The ring is full (the last stage is a whole ring behind): answer 503 with Retry-After. */
    FULL,
    /** The pipeline is not running (not started yet, stopping or stopped). */
    STOPPED
}
