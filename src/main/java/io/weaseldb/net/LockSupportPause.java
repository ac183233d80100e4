package io.weaseldb.net;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A short pause for back-off loops that wait on a condition with a deadline (not for synchronisation). */
final class LockSupportPause {
    private LockSupportPause() { }

    static void pause() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
}
