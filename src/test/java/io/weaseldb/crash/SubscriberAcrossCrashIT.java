package io.weaseldb.crash;

import static io.weaseldb.crash.CommitCalls.STATUS;
import static io.weaseldb.crash.CommitCalls.VERSION;
import static io.weaseldb.crash.CommitCalls.awaitTrue;
import static io.weaseldb.crash.CommitCalls.number;
import static io.weaseldb.crash.CommitCalls.status;
import static io.weaseldb.crash.CommitCalls.text;
import static io.weaseldb.crash.CommitCalls.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.api.SseClient;
import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader of the change feed across a crash of the packaged server (fsync on): it follows the stream from version
 * 0 while clients commit (it stops reading half-way), the server is killed with SIGKILL, and the reader resumes
 * on the restarted server with {@code Last-Event-ID} while new commits arrive. Together its two streams must hold every version 1..V exactly once, in order; every event
 * it saw before the kill must still be committed, at that version, after it (the feed only sends durable commits);
 * and every acknowledged commit must be the event at its version.
 */
class SubscriberAcrossCrashIT {
    private static final Pattern REQUEST_ID = Pattern.compile("\"request_id\":\"([^\"]+)\"");
    private static final int READ_BEFORE_KILL = 200;
    private static final int AFTER_RESTART = 20;

    @TempDir
    Path tmp;

    @Test
    void aReaderResumesAfterAKillWithEveryCommitOnceAndInOrder() throws Exception {
        Path data = tmp.resolve("data");
        ChildServer child = ChildServer.start(tmp, data, "feed");
        List<SseClient.Event> beforeKill = Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofVirtual().name("feed-reader").start(() -> {
            try (SseClient c = SseClient.open(child.port, "/v1/subscribe?after_version=0")) {
                assertEquals(200, c.status);
                // Stops after a while, well before the kill: the resumed stream then replays the rest from disk.
                for (SseClient.Event e; beforeKill.size() < READ_BEFORE_KILL && (e = c.next()) != null; ) beforeKill.add(e);
            } catch (IOException killed) {
                // the server died mid-stream
            }
        });
        Storm storm = new Storm(child.port, "feed", "feed-" + UUID.randomUUID(), 8, 0);
        awaitTrue(() -> "acknowledged commits and events (" + storm.acked.size() + ", " + beforeKill.size() + ")\n"
            + child.output(), 30_000, () -> storm.acked.size() >= 2 * READ_BEFORE_KILL && beforeKill.size() >= READ_BEFORE_KILL);
        child.kill();
        storm.join();
        reader.join(Duration.ofSeconds(20));
        assertTrue(storm.failures.isEmpty(), "answers other than 200 before the kill: " + storm.failures);

        List<SseClient.Event> events = new ArrayList<>(beforeKill);
        int seenBeforeKill = events.size();
        long lastSeen = events.get(seenBeforeKill - 1).id();
        ChildServer restarted = ChildServer.start(tmp, data, "feed-restarted");
        try {
            long v = version(restarted.port);
            assertTrue(v >= lastSeen, "the reader saw version " + lastSeen + ", the restarted server is at " + v);
            try (SseClient c = SseClient.open(restarted.port, "/v1/subscribe?after_version=0", "Last-Event-ID: " + lastSeen);
                 RawClient committer = new RawClient(restarted.port)) {
                assertEquals(200, c.status);
                // New commits after the restart follow the replayed ones on the same stream.
                for (int i = 0; i < AFTER_RESTART; i++) {
                    String id = "feed-after-restart-" + i + "-" + UUID.randomUUID();
                    storm.sent.add(id);
                    RawClient.Response r = CommitCalls.commit(committer, id);
                    assertEquals(200, r.status(), r.bodyText());
                    storm.acked.put(id, number(VERSION, r.bodyText()));
                }
                v += AFTER_RESTART;
                while (events.get(events.size() - 1).id() < v) events.add(c.next());
            }
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i + 1, events.get(i).id(), "the events of both streams are versions 1..V, each once, in order");
            }
            Set<String> sent = Set.copyOf(storm.sent);
            List<String> idAt = new ArrayList<>();
            for (SseClient.Event e : events) {
                String id = text(REQUEST_ID, e.data());
                assertTrue(sent.contains(id), "event " + e.id() + " is a commit nobody sent: " + id);
                assertEquals(e.id(), number(VERSION, e.data()), e.data());
                idAt.add(id);
            }
            storm.acked.forEach((id, at) -> assertEquals(id, idAt.get((int) (at - 1)), "the event at acknowledged version " + at));
            try (RawClient c = new RawClient(restarted.port)) {
                for (SseClient.Event e : events.subList(0, seenBeforeKill)) {
                    RawClient.Response s = status(c, idAt.get((int) (e.id() - 1)));
                    assertEquals("committed", text(STATUS, s.bodyText()), "seen before the kill: " + s.bodyText());
                    assertEquals(e.id(), number(VERSION, s.bodyText()), s.bodyText());
                }
            }
            System.out.printf("feed across a kill: %d events before it, %d after, version %d, %d acknowledged%n",
                seenBeforeKill, events.size() - seenBeforeKill, v, storm.acked.size());
        } finally {
            restarted.kill();
        }
    }
}
