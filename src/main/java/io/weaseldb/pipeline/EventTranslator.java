package io.weaseldb.pipeline;

/**
 * Fills a claimed ring slot. Passing the per-request data as {@code arg} (rather than capturing it)
 * lets callers use one static, non-capturing lambda: publishing then allocates nothing.
 *
 * @param <E> the event type
 * @param <A> the argument type
 */
@FunctionalInterface
public interface EventTranslator<E, A> {

    /**
     * Overwrites every field of {@code event} the stages read (it still holds an older request).
     * Should not throw; if it does, the slot is published as cancelled (stages skip it) and the
     * exception propagates to the publisher.
     */
    void translateTo(E event, long sequence, A arg);
}
