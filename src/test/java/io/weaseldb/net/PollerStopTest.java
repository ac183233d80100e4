package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weaseldb.config.ServerConfig;
import io.weaseldb.http.Router;
import io.weaseldb.metrics.Metrics;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * A poller's last act wakes every connection with CLOSED. A connection thread that is busy when that wake comes
 * and then starts another wait must still learn of it, not park with nobody left to wake it (the concurrency
 * review's finding: 1-5 of 3000 such threads stayed parked in every run). Here every connection waits for
 * writability again and again (always ready: woken every round) while the poller stops under them, with the
 * cores contended.
 */
class PollerStopTest {
    private static final int CONNECTIONS = 3000;

    /** Three rounds: without the fix, about one in three left a thread parked on this 2-core machine. */
    @Test
    void everyWaitEndsOnceThePollerHasStopped() throws Exception {
        for (int round = 0; round < 3; round++) stopUnderWaits();
    }

    private static void stopUnderWaits() throws Exception {
        NetServer server = new NetServer(ServerConfig.defaults().http(), new Router(), Metrics.create(false).http());
        Poller poller = new Poller(0, new LongAdder());
        poller.start();
        Field keyField = Connection.class.getDeclaredField("key");
        keyField.setAccessible(true);
        List<SocketChannel> channels = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicInteger waits = new AtomicInteger();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0), CONNECTIONS);
            for (int i = 0; i < CONNECTIONS; i++) {
                channels.add(SocketChannel.open(listener.getLocalAddress()));
                SocketChannel ch = listener.accept();
                channels.add(ch);
                ch.configureBlocking(false);
                Connection c = new Connection(server, poller, ch);
                c.thread = Thread.ofVirtual().unstarted(() -> {
                    try {
                        keyField.set(c, poller.register(ch, c));
                        while (c.await(SelectionKey.OP_WRITE, System.nanoTime() + TimeUnit.HOURS.toNanos(1))
                            != Connection.CLOSED) {
                            c.ackWake();
                            waits.incrementAndGet();
                            for (int k = 0; k < 200; k++) Thread.onSpinWait(); // a little work between waits
                        }
                    } catch (ReflectiveOperationException | java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                threads.add(c.thread);
            }
            threads.forEach(Thread::start);
            // Busy platform threads compete for the cores, so the poller's thread is preempted during its last
            // wake-ups: that is when a woken thread gets to start its next wait before the selector closes.
            AtomicBoolean contend = new AtomicBoolean(true);
            List<Thread> hogs = new ArrayList<>();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors() + 1; i++) {
                hogs.add(Thread.ofPlatform().daemon().start(() -> {
                    while (contend.get()) Thread.onSpinWait();
                }));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (waits.get() < 50 * CONNECTIONS && System.nanoTime() < until) Thread.sleep(10);
            poller.stop();
            poller.join(5_000);
            contend.set(false);
            for (Thread h : hogs) h.join();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int parked = 0;
            for (Thread t : threads) {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                if (!t.join(java.time.Duration.ofMillis(left))) parked++;
            }
            assertEquals(0, parked, "connection threads still parked after the poller stopped");
        } finally {
            for (SocketChannel ch : channels) ch.close();
        }
    }
}
