package io.weaseldb.crash;

import static io.weaseldb.crash.CommitCalls.LEADER;
import static io.weaseldb.crash.CommitCalls.STATUS;
import static io.weaseldb.crash.CommitCalls.VERSION;
import static io.weaseldb.crash.CommitCalls.awaitTrue;
import static io.weaseldb.crash.CommitCalls.commit;
import static io.weaseldb.crash.CommitCalls.getOnce;
import static io.weaseldb.crash.CommitCalls.number;
import static io.weaseldb.crash.CommitCalls.status;
import static io.weaseldb.crash.CommitCalls.text;
import static io.weaseldb.crash.CommitCalls.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
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
            ChildServer child = ChildServer.start(tmp, data, "storm-" + cycle, cycle % 2 == 1 ? FUSED : "");
            assertEquals(cycle % 2 == 1, stages(child.port).contains("stage=\"resolve_persist\""), "layout of cycle " + cycle);
            String leader = leader(child.port);
            assertNotEquals(previousLeader, leader, "a new leader_id on every start");
            previousLeader = leader;
            long startVersion = version(child.port);
            assertEquals(committedVersions.isEmpty() ? 0 : committedVersions.last(), startVersion,
                "the restarted server is at the last version known to be committed");

            // Kill at a different point in each cycle, always with commits in flight.
            Storm storm = stormThenKill(child, "c" + cycle, 150 + ThreadLocalRandom.current().nextInt(600), 30_000);

            ChildServer restarted = ChildServer.start(tmp, data, "after-storm-" + cycle);
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
            ChildServer child = ChildServer.start(tmp, data, "truncating-" + cycle, tail);
            Storm storm = stormThenKill(child, "t" + cycle, 1000 + ThreadLocalRandom.current().nextInt(1500), 60_000);
            acked.putAll(storm.acked);

            ChildServer restarted = ChildServer.start(tmp, data, "truncating-restarted-" + cycle, tail);
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
        ChildServer empty = ChildServer.start(tmp, data, "empty");
        empty.kill();

        ChildServer child = ChildServer.start(tmp, data, "idle");
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

        ChildServer restarted = ChildServer.start(tmp, data, "idle-restarted");
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

    private void verifyAfterRestart(ChildServer child, Storm storm) throws IOException {
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

    // ------------------------------------------------------------------ HTTP

    /**
     * Storms {@code child} with commits until {@code killAfter} are acknowledged (within {@code timeoutMs}, with no
     * failure before), then kills it with SIGKILL, commits still in flight; returns the storm once its clients ended.
     */
    private Storm stormThenKill(ChildServer child, String tag, int killAfter, long timeoutMs) throws Exception {
        Storm storm = new Storm(child.port, tag, "crash-" + run + "-" + tag, CLIENTS, 0);
        awaitTrue(() -> "at least " + killAfter + " acknowledged commits in storm " + tag + " (" + storm.acked.size()
            + " so far; failures " + storm.failures + ")\n" + child.output(), timeoutMs,
            () -> storm.acked.size() >= killAfter || !storm.failures.isEmpty());
        assertTrue(storm.failures.isEmpty(), "before the kill: " + storm.failures);
        child.kill();
        storm.join();
        assertTrue(storm.failures.isEmpty(), "answers other than 200: " + storm.failures);
        return storm;
    }

    /** The pipeline's queue-depth lines of /metrics (one per stage, tagged with its name). */
    private static String stages(int port) throws IOException {
        RawClient.Response r = getOnce(port, "/metrics");
        assertEquals(200, r.status());
        return r.bodyText().lines().filter(l -> l.startsWith("weaseldb_pipeline_queue_depth{"))
            .collect(java.util.stream.Collectors.joining("\n"));
    }

    private static String leader(int port) throws IOException {
        return text(LEADER, getOnce(port, "/v1/version").bodyText());
    }
}
