package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.crash.ChildServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Virtual threads are not time-sliced: a connection whose reads always find data and whose writes never block
 * would keep its carrier for as long as its client goes on. More such clients than carriers, and nobody else is
 * served (the abuse audit: 8-51 s stalls). Here a client that pipelines requests without end and reads every
 * answer at once, and one that streams request bodies at loopback speed, run beside a plain client, whose every
 * request must still be answered within a second. The server is the jar in a child process with its defaults:
 * on 2 cores one poller and one carrier, where a single such client used to stop everyone else. The one-second
 * bound is a starvation bound, not a performance figure: a served request takes milliseconds.
 */
class FairnessIT {
    @TempDir
    Path tmp;

    private static final byte[] PIPELINED = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n".repeat(64).getBytes(StandardCharsets.US_ASCII);

    @Test
    void clientsThatNeverMakeTheServerWaitDoNotStarveOthers() throws Exception {
        int hogsOfEachKind = 2;
        ChildServer srv = ChildServer.start(tmp, tmp.resolve("data"), "fairness");
        try {
            AtomicBoolean running = new AtomicBoolean(true);
            List<Socket> hogs = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            try {
                for (int i = 0; i < hogsOfEachKind; i++) {
                    hogs.add(hog(srv.port, running, threads, out -> out.write(PIPELINED)));
                    byte[] body = new byte[1 << 20];
                    byte[] head = ("GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                    hogs.add(hog(srv.port, running, threads, out -> {
                        out.write(head);
                        out.write(body);
                    }));
                }
                long worst;
                try (RawClient c = new RawClient(srv.port, 30_000)) {
                    worst = longestOf(3, () -> assertEquals(200, c.get("/ok").status()));
                }
                assertTrue(worst < TimeUnit.SECONDS.toNanos(1),
                    "a plain request waited " + Duration.ofNanos(worst).toMillis() + " ms beside clients that never make the server wait");
            } finally {
                running.set(false);
                for (Socket s : hogs) s.close();
                for (Thread t : threads) t.join();
            }
        } finally {
            srv.kill();
        }
    }

    /**
     * New connections take their turn with the rest: a new connection's thread used to reach the scheduler from
     * the accept thread, and the one carrier kept serving the poller's wake-ups first while they kept coming
     * (16 clients scraping /metrics without pause: 12 s for a new connection's first answer).
     */
    @Test
    void newConnectionsAreServedBesideAFloodOfExpensiveRequests() throws Exception {
        ChildServer srv = ChildServer.start(tmp, tmp.resolve("data"), "metrics-flood");
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                flood.add(Thread.ofPlatform().daemon().start(() -> {
                    try (RawClient c = new RawClient(srv.port, 30_000)) {
                        while (running.get()) c.get("/metrics");
                    } catch (IOException closed) {
                        // the server was stopped
                    }
                }));
            }
            long worst = longestOf(4, () -> {
                try (RawClient c = new RawClient(srv.port, 30_000)) {
                    assertEquals(200, c.get("/ok").status());
                }
            });
            assertTrue(worst < TimeUnit.SECONDS.toNanos(2),
                "a new connection waited " + Duration.ofNanos(worst).toMillis() + " ms for /ok beside 16 clients scraping /metrics");
        } finally {
            running.set(false);
            for (Thread t : flood) t.join();
            srv.kill();
        }
    }

    private interface Probe {
        void run() throws IOException;
    }

    /** Runs {@code probe} again and again for {@code seconds}; returns its longest run, in nanoseconds. */
    private static long longestOf(int seconds, Probe probe) throws IOException {
        long worst = 0;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            long t0 = System.nanoTime();
            probe.run();
            worst = Math.max(worst, System.nanoTime() - t0);
        }
        return worst;
    }

    private interface Send {
        void accept(OutputStream out) throws IOException;
    }

    /** A client that writes with {@code send} as fast as it can while another thread reads and drops the answers. */
    private static Socket hog(int port, AtomicBoolean running, List<Thread> threads, Send send) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setTcpNoDelay(true);
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
        InputStream in = s.getInputStream();
        threads.add(Thread.ofPlatform().daemon().start(() -> {
            try {
                while (running.get()) {
                    send.accept(out);
                    out.flush();
                }
            } catch (IOException closed) {
                // the test is over
            }
        }));
        threads.add(Thread.ofPlatform().daemon().start(() -> {
            byte[] sink = new byte[1 << 16];
            try {
                while (in.read(sink) >= 0) {
                    // drop the answers as fast as they come
                }
            } catch (IOException closed) {
                // the test is over
            }
        }));
        return s;
    }
}
