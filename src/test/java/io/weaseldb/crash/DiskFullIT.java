package io.weaseldb.crash;

import static io.weaseldb.crash.CommitCalls.STATUS;
import static io.weaseldb.crash.CommitCalls.VERSION;
import static io.weaseldb.crash.CommitCalls.commit;
import static io.weaseldb.crash.CommitCalls.getOnce;
import static io.weaseldb.crash.CommitCalls.number;
import static io.weaseldb.crash.CommitCalls.status;
import static io.weaseldb.crash.CommitCalls.text;
import static io.weaseldb.crash.CommitCalls.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk (a 4 MiB tmpfs under the data dir, so the errors are the kernel's own ENOSPC): a commit storm
 * fills it; every commit after the failure is answered {@code 503 storage_unavailable} naming its id, {@code /ready}
 * and {@code /live} turn 503, the process stays up and keeps answering. Killed (as a supervisor would on
 * {@code /live}), it restarts on the still-full disk at no lower version and answers the status of committed ids (an
 * unknown id's, which needs its ban journaled, is a 503); with room again, every acknowledged commit is there at its
 * version, the versions of all the ids sent are exactly 1..V, and commits go on at V+1. Mounting needs root (as CI
 * runs here); elsewhere the test is skipped.
 */
class DiskFullIT {
    private static final int CLIENTS = 16;
    /** Values of ≈ 1.5 KB: the 4 MiB fill in about two thousand commits. */
    private static final int VALUE_BYTES = 1500;

    @TempDir
    Path tmp;

    private Path disk;
    private boolean mounted;

    @AfterEach
    void unmount() throws Exception {
        if (mounted) run("umount", "-l", disk.toString());
    }

    @Test
    void aFullDiskStopsAcknowledgingAndLosesNothing() throws Exception {
        disk = Files.createDirectories(tmp.resolve("disk"));
        String mount = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.toString());
        Assumptions.assumeTrue(mount == null, () -> "needs root to mount a tmpfs: " + mount);
        mounted = true;
        Path data = disk.resolve("data");

        ChildServer child = ChildServer.start(tmp, data, "filling");
        Storm storm;
        try {
            assertEquals(200, getOnce(child.port, "/live").status());
            assertTrue(getOnce(child.port, "/metrics").bodyText().contains("\nweaseldb_storage_failed 0.0\n"));
            storm = new Storm(child.port, "full", "disk-full-" + UUID.randomUUID(), CLIENTS, VALUE_BYTES);
            storm.join();  // each client ends at its first answer other than 200
            assertFalse(storm.acked.isEmpty(), "nothing was acknowledged before the disk filled: " + storm.failures);
            assertEquals(CLIENTS, storm.failures.size(), storm.failures.toString());
            for (String f : storm.failures) {
                assertTrue(f.contains(": 503 ") && f.contains("\"error\":\"storage_unavailable\""), f);
                String id = f.substring(0, f.indexOf(':'));
                assertTrue(f.contains("\"request_id\":\"" + id + "\""), "the answer names its request id: " + f);
            }
            assertTrue(child.output().contains("No space left on device"), child.output());

            // Still up: it answers, reports itself unready, and refuses further commits the same way.
            assertEquals(200, getOnce(child.port, "/ok").status());
            assertEquals(503, getOnce(child.port, "/ready").status());
            RawClient.Response live = getOnce(child.port, "/live");
            assertEquals(503, live.status(), "only a restart recovers: a supervisor must see it");
            assertEquals("{\"live\":false,\"reason\":\"storage_unavailable\"}", live.bodyText());
            String metrics = getOnce(child.port, "/metrics").bodyText();
            assertTrue(metrics.contains("\nweaseldb_storage_failed 1.0\n"), "the failure shows in /metrics for alerting");
            double usable = metrics.lines().filter(l -> l.startsWith("weaseldb_storage_usable_bytes "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
            assertTrue(usable < 64 * 1024, "usable bytes on the full 4 MiB disk: " + usable);
            long maxAcked = storm.acked.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(version(child.port) >= maxAcked, "version below an acknowledged commit");
            try (RawClient c = new RawClient(child.port)) {
                RawClient.Response r = commit(c, "disk-full-after-the-failure");
                assertEquals(503, r.status(), r.bodyText());
            }
            assertTrue(child.process.isAlive());
        } finally {
            child.kill();
        }
        long maxAcked = storm.acked.values().stream().mapToLong(Long::longValue).max().orElseThrow();

        // Recovery needs no room: the server starts on the full disk at no lower version.
        ChildServer full = ChildServer.start(tmp, data, "restarted-full");
        try {
            assertTrue(version(full.port) >= maxAcked, "restarted below an acknowledged commit");
            // A committed id's status needs no room; an unknown id's does (its ban is journaled before the answer).
            try (RawClient c = new RawClient(full.port)) {
                Map.Entry<String, Long> some = storm.acked.entrySet().iterator().next();
                RawClient.Response s = status(c, some.getKey());
                assertEquals(200, s.status(), s.bodyText());
                assertEquals(some.getValue(), number(VERSION, s.bodyText()), s.bodyText());
                RawClient.Response unknown = status(c, "disk-full-never-sent-" + UUID.randomUUID());
                assertEquals(503, unknown.status(), unknown.bodyText());
                assertTrue(unknown.bodyText().contains("storage_unavailable"), unknown.bodyText());
            }
        } finally {
            full.kill();
        }

        assertEquals(null, run("mount", "-o", "remount,size=64m", disk.toString()));
        ChildServer roomy = ChildServer.start(tmp, data, "restarted-with-room");
        try (RawClient c = new RawClient(roomy.port)) {
            long v = version(roomy.port);
            Map<Long, String> byVersion = new TreeMap<>();
            for (String id : storm.sent) {
                RawClient.Response s = status(c, id);
                assertEquals(200, s.status(), s.bodyText());
                Long ackedAt = storm.acked.get(id);
                if ("committed".equals(text(STATUS, s.bodyText()))) {
                    long at = number(VERSION, s.bodyText());
                    if (ackedAt != null) assertEquals(ackedAt.longValue(), at, id + " was acknowledged at " + ackedAt);
                    String twice = byVersion.put(at, id);
                    assertEquals(null, twice, "version " + at + " committed for " + twice + " and " + id);
                } else {
                    assertEquals(null, ackedAt, id + " acknowledged at " + ackedAt + " but now " + s.bodyText());
                }
            }
            assertEquals(v, byVersion.size(), "versions 1.." + v + " vs the " + byVersion.size() + " ids committed");
            RawClient.Response next = commit(c, "disk-full-with-room-again");
            assertEquals(200, next.status(), next.bodyText());
            assertEquals(v + 1, number(VERSION, next.bodyText()));
            System.out.printf("disk full: %d acknowledged before it filled, %d of the %d unanswered committed; version %d%n",
                storm.acked.size(), v - storm.acked.size(), storm.sent.size() - storm.acked.size(), v);
        } finally {
            roomy.kill();
        }
    }

    /** Runs a command; returns null on exit status 0, else its status and output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException notThere) {
            return notThere.toString();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + ": timed out";
        }
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + ": " + out.strip();
    }
}
