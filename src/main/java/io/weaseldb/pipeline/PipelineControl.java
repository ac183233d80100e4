package io.weaseldb.pipeline;

import java.util.concurrent.locks.LockSupport;

/** Shutdown signals shared by a pipeline and its stage threads (rarely written, never hot). */
final class PipelineControl {

    /** Set once by stop(); read by every stage thread before each batch and before parking. */
    private volatile boolean halted;
    /** The thread inside stop() waiting for the last stage to drain, if any. */
    private volatile Thread drainWaiter;

    boolean isHalted() {
        return halted;
    }

    void halt() {
        halted = true;
    }

    void setDrainWaiter(Thread t) {
        drainWaiter = t;
    }

    /** Called by last-stage threads after each advance (after a full fence). */
    void wakeDrainWaiter() {
        Thread t = drainWaiter; // volatile: a Dekker pair with the stopper's store + fence + re-check
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
