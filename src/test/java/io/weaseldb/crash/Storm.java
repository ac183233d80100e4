package io.weaseldb.crash;

import static io.weaseldb.crash.CommitCalls.VERSION;
import static io.weaseldb.crash.CommitCalls.commit;
import static io.weaseldb.crash.CommitCalls.number;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.RawClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Keep-alive connections committing unique ids as fast as they can. Each client stops at its first answer other
 * than 200 (recorded in {@link #failures}) or when the server dies (its last id is then in flight).
 */
final class Storm {
    final String tag;
    /** Every id sent (answered or not), in no particular order. */
    final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
    final Map<String, Long> acked = new ConcurrentHashMap<>();
    /** "id: status body" of each client's answer that ended it. */
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    /** Starts {@code clients} clients committing ids {@code idPrefix-t<client>-n<i>} with values of {@code valueBytes}. */
    Storm(int port, String tag, String idPrefix, int clients, int valueBytes) {
        this.tag = tag;
        for (int t = 0; t < clients; t++) {
            int client = t;
            threads.add(Thread.ofVirtual().name("storm-" + tag + "-" + t).start(() -> {
                try (RawClient c = new RawClient(port, 20_000)) {
                    for (int i = 0; ; i++) {
                        String id = idPrefix + "-t" + client + "-n" + i;
                        sent.add(id);
                        RawClient.Response r = commit(c, id, valueBytes);
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

    /** Waits for every client to end (the server died, or each got an answer other than 200). */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            if (!t.join(Duration.ofSeconds(30))) fail("storm client " + t.getName() + " did not end");
        }
    }
}
