package io.weaseldb.pipeline;

/**
 * One step of a {@link Pipeline}, like the Disruptor's {@code EventHandler}: called on the stage's
 * own thread, once per event, in sequence order, in batches.
 *
 * <p>The stage sees a batch as a run of calls whose last one has {@code endOfBatch == true}; the
 * stage's sequence advances (handing the whole batch to the next stage) only after that call
 * returns. That is what makes group commit trivial: append on every event, fsync once when
 * {@code endOfBatch} is true.
 *
 * <p>Events are mutable ring slots owned by the pipeline: a stage may read and write them while it
 * holds them (later stages see those writes), and may keep references to the events of its current
 * batch until the {@code endOfBatch} call returns, but no longer. The last stage must hand any result
 * to the waiting party (e.g. a {@link Completion}) before then, since the slots are reused as soon
 * as the last stage advances.
 *
 * @param <E> the event type
 */
@FunctionalInterface
public interface Stage<E> {

    /**
     * Processes one event.
     *
     * @param event the event (a reused ring slot)
     * @param sequence its sequence number, unique and increasing over the pipeline's life
     * @param endOfBatch true for the last event of the batch this thread took
     * @throws Exception passed to {@link #onException}; the pipeline carries on with the next event
     */
    void onEvent(E event, long sequence, boolean endOfBatch) throws Exception;

    /**
     * Called on the stage thread when {@link #onEvent} throws. The event still moves on to the next
     * stage (a pipeline must never stall), so a stage that can fail should record the failure in the
     * event. The default logs it.
     */
    default void onException(Throwable error, E event, long sequence) {
        System.getLogger(Stage.class.getName())
                .log(System.Logger.Level.ERROR, "pipeline stage " + Thread.currentThread().getName()
                        + " failed on sequence " + sequence, error);
    }
}
