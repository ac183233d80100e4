package io.weaseldb.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.RawClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the packaged server: {@code weaseldb.jar} runs as a child process with fsync on, 16 clients
 * commit as fast as they can, the child is killed with SIGKILL mid-storm and restarted on the same data dir.
 * Then every acknowledged commit must be there with its version, and the versions must be exactly 1..V:
 * every commit comes from these clients, so asking the status of every id they sent (acknowledged or in
 * flight at the kill) accounts for every version the server has. Segments are the smallest allowed (64 KiB),
 * so each storm rolls several preallocated segments and kills land before, during and after rolls.
 */
class CrashRecoveryIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");
    private static final Pattern VERSION = Pattern.compile("\"version\":(\\d+)");
    private static final Pattern STATUS = Pattern.compile("\"status\":\"(\\w+)\"");
    private static final Pattern LEADER = Pattern.compile("\"leader_id\":\"([^\"]+)\"");
    private static final int CLIENTS = 16;
    private static final int CYCLES = 4;
    /** Resolve and persist on one thread, with fsync on: a layout an operator may choose must be as durable. */
    private static final String FUSED = "[http.pipelines.commit_status]\nlayout = \"fused\"\n";

    @TempDir
    Path tmp;

    /** Every version known to be committed, over all cycles of one test (must end up exactly 1..V). */
    private final TreeSet<Long> committedVersions = new TreeSet<>();
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    @Test
    void killedMidStormLosesNoAcknowledgedCommitAndLeavesNoGap() throws Exception {
        Path data = tmp.resolve("data");
        String previousLeader = null;
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            // Odd cycles run the fused layout: its kills land in the same data dir as the split layout's.
            Child child = Child.start(tmp, data, "storm-" + cycle, cycle % 2 == 1 ? FUSED : "");
            assertEquals(cycle % 2 == 1, stages(child.port).contains("stage=\"resolve_persist\""), "layout of cycle " + cycle);
            String leader = leader(child.port);
            assertNotEquals(previousLeader, leader, "a new leader_id on every start");
            previousLeader = leader;
            long startVersion = version(child.port);
            assertEquals(committedVersions.isEmpty() ? 0 : committedVersions.last(), startVersion,
                "the restarted server is at the last version known to be committed");

            // Kill at a different point in each cycle, always with commits in flight.
            Storm storm = stormThenKill(child, "c" + cycle, 150 + ThreadLocalRandom.current().nextInt(600), 30_000);

            Child restarted = Child.start(tmp, data, "after-storm-" + cycle);
            try {
                verifyAfterRestart(restarted, storm);
            } finally {
                restarted.kill();
            }
        }
        assertTrue(committedVersions.size() >= CYCLES * 150, committedVersions.size() + " commits over " + CYCLES + " cycles");
    }

    /**
     * Request ids outlive the log's truncation (the id archive), across kills too: with a log keeping 50 versions
     * and ids kept for 10 versions or 24 hours, every id acknowledged in any cycle is still answered committed at its
     * version after each restart, and its retry answers that version. Kills land while retention archives ids and
     * deletes segments (a 64 KiB segment holds about 200 of these commits; retention runs every second).
     */
    @Test
    void killedWhileTruncatingKeepsEveryAcknowledgedId() throws Exception {
        Path data = tmp.resolve("data");
        String tail = "retain_versions = 50\n[commit]\nrequest_id_retention_versions = 10\n";
        Map<String, Long> acked = new HashMap<>();
        for (int cycle = 0; cycle < 3; cycle++) {
            Child child = Child.start(tmp, data, "truncating-" + cycle, tail);
            Storm storm = stormThenKill(child, "t" + cycle, 1000 + ThreadLocalRandom.current().nextInt(1500), 60_000);
            acked.putAll(storm.acked);

            Child restarted = Child.start(tmp, data, "truncating-restarted-" + cycle, tail);
            try (RawClient client = new RawClient(restarted.port)) {
                Path first = data.resolve("log").resolve("00000000000000000001.seg");
                awaitTrue(() -> "the log's truncation (retention runs at start)", 10_000, () -> !Files.exists(first));
                int retries = 0;
                for (Map.Entry<String, Long> e : acked.entrySet()) {
                    RawClient.Response s = status(client, e.getKey());
                    assertEquals("committed", text(STATUS, s.bodyText()), e.getKey() + " acknowledged at " + e.getValue()
                        + ": " + s.bodyText());
                    assertEquals(e.getValue(), number(VERSION, s.bodyText()), e.getKey());
                    if (retries++ < 20) {
                        RawClient.Response r = commit(client, e.getKey());
                        assertEquals(200, r.status(), r.bodyText());
                        assertEquals(e.getValue(), number(VERSION, r.bodyText()), "a retry answers the original version");
                    }
                }
                System.out.printf("truncating cycle %d: %d ids acknowledged so far, all committed after the restart%n",
                    cycle, acked.size());
            } finally {
                restarted.kill();
            }
        }
    }

    @Test
    void killedWhileIdleLosesNothing() throws Exception {
        Path data = tmp.resolve("data");
        // Killed right after start, before any commit: the empty database restarts at 0.
        Child empty = Child.start(tmp, data, "empty");
        empty.kill();

        Child child = Child.start(tmp, data, "idle");
        assertEquals(0, version(child.port));
        Map<String, Long> acked = new HashMap<>();
        try (RawClient c = new RawClient(child.port)) {
            for (int i = 0; i < 50; i++) {
                String id = "idle-" + run + "-commit-" + i;
                RawClient.Response r = commit(c, id);
                assertEquals(200, r.status(), r.bodyText());
                acked.put(id, number(VERSION, r.bodyText()));
            }
        }
        assertEquals(50, version(child.port));
        child.kill();

        Child restarted = Child.start(tmp, data, "idle-restarted");
        try {
            assertEquals(50, version(restarted.port));
            try (RawClient c = new RawClient(restarted.port)) {
                for (Map.Entry<String, Long> e : acked.entrySet()) {
                    RawClient.Response s = status(c, e.getKey());
                    assertEquals("committed", text(STATUS, s.bodyText()), s.bodyText());
                    assertEquals(e.getValue(), number(VERSION, s.bodyText()), e.getKey());
                }
                RawClient.Response next = commit(c, "idle-" + run + "-after-restart");
                assertEquals(51, number(VERSION, next.bodyText()), next.bodyText());
            }
        } finally {
            restarted.kill();
        }
    }

    private void verifyAfterRestart(Child child, Storm storm) throws IOException {
        long v = version(child.port);
        long maxAcked = storm.acked.values().stream().mapToLong(Long::longValue).max().orElse(0);
        assertTrue(v >= maxAcked, "version " + v + " after restart < acknowledged " + maxAcked);
        assertEquals(storm.acked.size(), Set.copyOf(storm.acked.values()).size(), "an acknowledged version was given twice");

        try (RawClient c = new RawClient(child.port)) {
            int lost = 0;
            int inFlightCommitted = 0;
            StringBuilder lostIds = new StringBuilder();
            for (String id : storm.sent) {
                RawClient.Response s = status(c, id);
                assertEquals(200, s.status(), s.bodyText());
                String st = text(STATUS, s.bodyText());
                Long ackedAt = storm.acked.get(id);
                if ("committed".equals(st)) {
                    long at = number(VERSION, s.bodyText());
                    if (ackedAt != null) assertEquals(ackedAt.longValue(), at, id + ": acknowledged at " + ackedAt);
                    else inFlightCommitted++;
                    assertTrue(committedVersions.add(at), "version " + at + " committed twice (" + id + ")");
                } else {
                    assertEquals("not_committed", st, s.bodyText());
                    if (ackedAt != null) {
                        lost++;
                        if (lostIds.length() < 500) lostIds.append(id).append('@').append(ackedAt).append(' ');
                    }
                }
            }
            assertEquals(0, lost, "acknowledged commits lost by the crash: " + lostIds);
            System.out.printf("crash cycle %s: %d sent, %d acknowledged, %d of the %d in flight at the kill committed; "
                    + "version after restart %d%n", storm.tag, storm.sent.size(), storm.acked.size(), inFlightCommitted,
                storm.sent.size() - storm.acked.size(), v);

            // Gap-free: the versions of all the commits ever sent are exactly 1..V.
            assertEquals(v, committedVersions.size(), "versions 1.." + v + " vs " + committedVersions.size() + " commits known");
            assertEquals(v, committedVersions.isEmpty() ? 0 : committedVersions.last());
            assertEquals(1, committedVersions.first());

            // New commits continue at V+1.
            RawClient.Response next = commit(c, "probe-after-restart-" + run + "-" + storm.tag);
            assertEquals(200, next.status(), next.bodyText());
            long probe = number(VERSION, next.bodyText());
            assertEquals(v + 1, probe);
            committedVersions.add(probe);
        }
    }

    // ------------------------------------------------------------------ the storm

    /** {@link #CLIENTS} keep-alive connections committing unique ids until the server dies. */
    private final class Storm {
        final int port;
        final String tag;
        /** Every id sent (answered or not), in no particular order. */
        final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();

        Storm(int port, String tag) {
            this.port = port;
            this.tag = tag;
        }

        void start() {
            for (int t = 0; t < CLIENTS; t++) {
                int client = t;
                threads.add(Thread.ofVirtual().name("storm-" + tag + "-" + t).start(() -> {
                    try (RawClient c = new RawClient(port, 20_000)) {
                        for (int i = 0; ; i++) {
                            String id = "crash-" + run + "-" + tag + "-t" + client + "-n" + i;
                            sent.add(id);
                            RawClient.Response r = commit(c, id);
                            if (r.status() != 200) {
                                failures.add(id + ": " + r.status() + " " + r.bodyText());
                                return;
                            }
                            acked.put(id, number(VERSION, r.bodyText()));
                        }
                    } catch (IOException killed) {
                        // the server died: this thread's last id is in flight (committed or not)
                    }
                }));
            }
        }

        void join() throws InterruptedException {
            for (Thread t : threads) {
                if (!t.join(java.time.Duration.ofSeconds(30))) fail("storm client " + t.getName() + " did not notice the kill");
            }
            assertTrue(failures.isEmpty(), "answers other than 200: " + failures);
        }
    }

    // ------------------------------------------------------------------ the child process

    /** {@code java -jar weaseldb.jar --config <temp>} with fsync on; its output kept for failure messages. */
    private static final class Child {
        final Process process;
        final int port;
        final StringBuffer output;

        private Child(Process process, int port, StringBuffer output) {
            this.process = process;
            this.port = port;
            this.output = output;
        }

        static Child start(Path tmp, Path data, String name) throws Exception {
            return start(tmp, data, name, "");
        }

        /** {@code storageTail}: more lines after the [storage] table's own (more storage keys, then other tables). */
        static Child start(Path tmp, Path data, String name, String storageTail) throws Exception {
            String jar = System.getProperty("weaseldb.jar");
            assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "system property weaseldb.jar: " + jar
                + " (run through failsafe after package)");
            String java = ProcessHandle.current().info().command().orElseThrow();
            Path config = tmp.resolve(name + ".toml");
            Files.writeString(config, """
                [http]
                bind_address = "127.0.0.1"
                port = 0
                network_threads = 1
                drain_timeout_sec = 1
                [storage]
                data_dir = "%s"
                fsync = true
                segment_bytes = 65536
                """.formatted(data.toString().replace("\\", "\\\\")) + storageTail);
            // The JFR repository a SIGKILL leaves behind goes into the test's own temp dir, not the shared /tmp.
            Path jvmTmp = Files.createDirectories(tmp.resolve("jvm-tmp"));
            Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + jvmTmp,
                    "-jar", jar, "--config", config.toString())
                .redirectErrorStream(true).start();
            StringBuffer output = new StringBuffer();
            CompletableFuture<Integer> listening = new CompletableFuture<>();
            Thread.ofVirtual().name("child-output-" + name).start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (output.length() < 20_000) output.append(line).append('\n');
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) listening.complete(Integer.parseInt(m.group(2)));
                    }
                } catch (IOException ignored) {
                    // the child is gone
                } finally {
                    listening.completeExceptionally(new IllegalStateException("exited"));
                }
            });
            try {
                return new Child(p, listening.get(30, TimeUnit.SECONDS), output);
            } catch (Exception e) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("weaseldb (" + name + ") did not start: " + e + "\n" + output, e);
            }
        }

        /** SIGKILL: no shutdown hook, no drain, no final fsync. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the child did not die");
        }

        String output() {
            return output.toString();
        }
    }

    // ------------------------------------------------------------------ HTTP

    private static RawClient.Response commit(RawClient c, String id) throws IOException {
        // ~300 bytes: two writes under keys unique to the id, no preconditions (so nothing can conflict).
        String key = b64("crash/" + id);
        String body = "{\"request_id\":\"" + id + "\",\"operations\":["
            + "{\"type\":\"write\",\"key\":\"" + key + "\",\"value\":\"" + b64("value of " + id) + "\"},"
            + "{\"type\":\"write\",\"key\":\"" + b64("index/" + id) + "\",\"value\":\"" + key + "\"}]}";
        return c.postJson("/v1/commit", body);
    }

    private static RawClient.Response status(RawClient c, String id) throws IOException {
        return c.get("/v1/status?request_id=" + id);
    }

    private static long version(int port) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.send("GET /v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status(), r.bodyText());
            return number(VERSION, r.bodyText());
        }
    }

    /**
     * Storms {@code child} with commits until {@code killAfter} are acknowledged (within {@code timeoutMs}, with no
     * failure before), then kills it with SIGKILL, commits still in flight; returns the storm once its clients ended.
     */
    private Storm stormThenKill(Child child, String tag, int killAfter, long timeoutMs) throws Exception {
        Storm storm = new Storm(child.port, tag);
        storm.start();
        awaitTrue(() -> "at least " + killAfter + " acknowledged commits in storm " + tag + " (" + storm.acked.size()
            + " so far; failures " + storm.failures + ")\n" + child.output(), timeoutMs,
            () -> storm.acked.size() >= killAfter || !storm.failures.isEmpty());
        assertTrue(storm.failures.isEmpty(), "before the kill: " + storm.failures);
        child.kill();
        storm.join();
        return storm;
    }

    /** The pipeline's queue-depth lines of /metrics (one per stage, tagged with its name). */
    private static String stages(int port) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            return r.bodyText().lines().filter(l -> l.startsWith("weaseldb_pipeline_queue_depth{"))
                .collect(java.util.stream.Collectors.joining("\n"));
        }
    }

    private static String leader(int port) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.send("GET /v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return text(LEADER, c.read().bodyText());
        }
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static long number(Pattern p, String body) {
        return Long.parseLong(text(p, body));
    }

    private static String text(Pattern p, String body) {
        Matcher m = p.matcher(body);
        if (!m.find()) throw new AssertionError(p + " not in " + body);
        return m.group(1);
    }

    private static void awaitTrue(java.util.function.Supplier<String> what, long timeoutMs,
                                  java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) fail("timed out waiting for: " + what.get());
            Thread.sleep(2); // polling interval of a poll-with-deadline
        }
    }
}
