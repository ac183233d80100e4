package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

/**
 * No connection thread parks while pinned to its carrier (a monitor or native frame held across I/O):
 * the JFR {@code jdk.VirtualThreadPinned} event, with its threshold at 0, must not fire while the server
 * serves keep-alive, pipelined, commit and slow-reader traffic.
 */
class NoPinningTest {
    @Test
    void servingTrafficNeverPinsAVirtualThread() throws Exception {
        List<String> pinned = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream(); TestServer srv = TestServer.start()) {
            rs.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            rs.onEvent("jdk.VirtualThreadPinned", e -> pinned.add(describe(e)));
            // Warm up first: the first use of a class loads it, and class loading on a virtual thread pins
            // (a one-off, not a property of the request path).
            drive(srv, 1, 5);
            rs.startAsync();
            drive(srv, 8, 50);
            assertTrue(rs.stop(), "recording stopped"); // stop() delivers every event recorded so far
            assertTrue(pinned.isEmpty(), () -> "pinned virtual threads:\n" + String.join("\n---\n", pinned));
        }
    }

    /** Keep-alive, pipelined and commit traffic from platform-thread clients (so any pinned event is the server's). */
    private static void drive(TestServer srv, int clientCount, int rounds) throws InterruptedException {
        String body = "{\"operations\":[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]}";
        String commit = "POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length() + "\r\n\r\n" + body;
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < clientCount; t++) {
            clients.add(Thread.ofPlatform().start(() -> {
                try (RawClient c = new RawClient(srv.port)) {
                    for (int i = 0; i < rounds; i++) {
                        c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4));
                        for (int k = 0; k < 4; k++) assertEquals(200, c.read().status());
                        RawClient.Response r = c.send(commit).read();
                        assertEquals(200, r.status(), r.bodyText());
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : clients) t.join();
        failures.forEach(Throwable::printStackTrace);
        assertTrue(failures.isEmpty(), () -> "client failures: " + failures);
    }

    private static String describe(RecordedEvent e) {
        return e.getDuration() + " " + (e.getStackTrace() == null ? "(no stack)" : e.getStackTrace().getFrames().stream()
            .limit(15).map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber())
            .reduce((a, b) -> a + "\n  " + b).orElse(""));
    }
}
