package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

/**
 * No connection thread parks while pinned to its carrier (a monitor or native frame held across I/O):
 * the JFR {@code jdk.VirtualThreadPinned} event, with its threshold at 0, must not fire while the server
 * serves keep-alive, pipelined, commit and slow-reader traffic.
 *
 * <p>Since JDK 24 (JEP 491) a virtual thread that parks inside {@code synchronized} no longer pins, so on the
 * JDK this runs on the event only catches native frames; the rule that no monitor is held across I/O is
 * checked on the sources as well ({@link #noMonitorInTheServerGuardsIo}), and matters on JDK 21, where
 * such a park would pin the carrier.
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

    /**
     * Main sources may use {@code synchronized} only where no I/O can happen inside: the two allowed uses are the
     * preallocated exceptions' {@code fillInStackTrace} overrides and the parser registry's startup registration.
     */
    @Test
    void noMonitorInTheServerGuardsIo() throws Exception {
        Pattern monitor = Pattern.compile("\\bsynchronized\\b");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).replaceAll("//.*", "").trim();
                    if (code.startsWith("*") || code.startsWith("/*") || !monitor.matcher(code).find()) continue;
                    boolean allowed = code.equals("public synchronized Throwable fillInStackTrace() {")
                        || (f.endsWith("CommitRequestParsers.java") && code.startsWith("public synchronized CommitRequestParsers register("));
                    if (!allowed) found.add(f + ":" + (i + 1) + ": " + code);
                }
            }
        }
        assertTrue(found.isEmpty(), () -> "synchronized in the server (use a lock-free structure or a ReentrantLock, "
            + "never a monitor around I/O):\n" + String.join("\n", found));
    }

    /** Responses a slow reader asks for: ≈ 40 KB each, together far more than any socket buffer holds. */
    private static final int SLOW_READER_REQUESTS = 200;

    /**
     * A client with an 8 KiB receive buffer that pipelines {@link #SLOW_READER_REQUESTS} {@code GET /metrics} and
     * only then reads: ≈ 8 MB of answers against a send buffer of at most 4 MiB (Linux's default
     * {@code tcp_wmem} maximum), so the connection's thread must park waiting for writability.
     */
    private static void slowReader(TestServer srv) throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(8192);
            s.connect(new InetSocketAddress("127.0.0.1", srv.port), 5_000);
            s.setSoTimeout(30_000);
            String get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
            s.getOutputStream().write((get.repeat(SLOW_READER_REQUESTS - 1)
                + "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) all.write(buf, 0, n);
            String text = all.toString(StandardCharsets.ISO_8859_1);
            int answers = text.split("HTTP/1.1 200 OK\r\n", -1).length - 1;
            assertEquals(SLOW_READER_REQUESTS, answers, "answers to the slow reader (" + all.size() + " bytes)");
        }
    }

    /** Keep-alive, pipelined, commit and slow-reader traffic from platform-thread clients (so any pinned event is the server's). */
    private static void drive(TestServer srv, int clientCount, int rounds) throws InterruptedException {
        String body = "{\"operations\":[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]}";
        String commit = "POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length() + "\r\n\r\n" + body;
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        clients.add(Thread.ofPlatform().start(() -> {
            try {
                slowReader(srv);
            } catch (Throwable e) {
                failures.add(e);
            }
        }));
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
