package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConnectionLimitTest {
    @Test
    void theConfiguredLimitStandsWhenDescriptorsAreAmple() {
        assertEquals(10_000, ConnectionLimit.effective(10_000, 1_048_576));
        assertEquals(10_000, ConnectionLimit.effective(10_000, 10_000 + ConnectionLimit.RESERVED_DESCRIPTORS));
    }

    @Test
    void itIsLoweredToKeepTheReserveAndNeverBelowOne() {
        assertEquals(1024 - ConnectionLimit.RESERVED_DESCRIPTORS, ConnectionLimit.effective(10_000, 1024));
        assertEquals(1, ConnectionLimit.effective(10_000, 100));
    }

    @Test
    void anUnknownLimitChangesNothing() {
        assertEquals(10_000, ConnectionLimit.effective(10_000, -1));
    }

    @Test
    void thisProcessReportsItsLimit() {
        assertTrue(ConnectionLimit.processFileLimit() > 0, "Linux JDKs expose the descriptor limit");
    }
}
