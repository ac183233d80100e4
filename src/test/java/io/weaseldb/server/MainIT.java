package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar as users run it: command line, config refusal, readiness line, signals, startup refusals. */
class MainIT {
    @TempDir
    Path dir;

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        try (JarProcess p = JarProcess.start("--help")) {
            assertEquals(0, p.awaitExit());
            assertTrue(p.output().contains("usage: java -jar weaseldb.jar [--config FILE]"), p.output());
        }
    }

    @Test
    void badConfigIsRefusedNamingFileKeyValueAndWhatIsAllowed() throws Exception {
        Path f = dir.resolve("bad.toml");
        Files.writeString(f, "[http]\nport = \"eighty\"\n");
        try (JarProcess p = JarProcess.start("--config", f.toString())) {
            assertEquals(2, p.awaitExit());
            assertTrue(p.output().contains(f + ": http.port: expected an integer 0..65535, found string \"eighty\""), p.output());
        }
        try (JarProcess p = JarProcess.start("--config", dir.resolve("missing.toml").toString())) {
            assertEquals(2, p.awaitExit());
            assertTrue(p.output().contains("missing.toml: no such file"), p.output());
        }
        try (JarProcess p = JarProcess.start("--bogus")) {
            assertEquals(2, p.awaitExit());
            assertTrue(p.output().contains("unknown argument: --bogus"), p.output());
        }
        try (JarProcess p = JarProcess.start("--config", f.toString(), "--config", "other.toml")) {
            assertEquals(2, p.awaitExit());
            assertTrue(p.output().contains("--config given twice (" + f + ", other.toml)"), p.output());
        }
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        Path cfg = JarProcess.config(dir, dir.resolve("data"), "drain_timeout_sec = 10\n", "fsync = false\n");
        try (JarProcess p = JarProcess.start("--config", cfg.toString())) {
            int port = p.awaitListening();
            try (RawClient idle = new RawClient(port); RawClient busy = new RawClient(port)) {
                assertEquals(200, idle.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
                busy.send("GET /ok HTTP/1.1\r\nHost: x\r\n"); // in flight
                assertEquals(200, idle.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
                p.terminate();
                assertTrue(idle.closedByServer(), "idle connection closed by the drain");
                RawClient.Response r = busy.send("\r\n").read();
                assertEquals(200, r.status());
                assertEquals("close", r.header("Connection"));
            }
            assertEquals(0, p.awaitExit(), p.output());
        }
    }

    /**
     * A connection flood must not take the descriptors the commit log needs: under a 400-file limit the server
     * accepts at most 400 - 256 connections and answers the rest 503, and commits keep working meanwhile.
     */
    @Test
    void connectionsAreCappedBelowTheFileLimitSoCommitsStillWork() throws Exception {
        Path cfg = JarProcess.config(dir, dir.resolve("data"), "", "fsync = true\nsegment_bytes = 65536\n");
        try (JarProcess p = JarProcess.startWithFileLimit(400, "--config", cfg.toString())) {
            int port = p.awaitListening();
            assertTrue(p.output().contains("accepting at most 144 connections"), p.output());
            List<RawClient> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 450; i++) clients.add(new RawClient(port));
                int ok = 0;
                int refused = 0;
                for (RawClient c : clients) {
                    int status = c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().status();
                    if (status == 200) ok++;
                    else if (status == 503) refused++;
                }
                assertEquals(450, ok + refused);
                assertTrue(ok >= 100 && ok <= 144, ok + " served");
                // Small segments: these commits roll the log onto new files while the flood holds its connections.
                String body = "{\"operations\":[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"" + "dmFs".repeat(400) + "\"}]}";
                RawClient first = clients.get(0);
                for (int i = 0; i < 100; i++) {
                    assertEquals(200, first.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).read().status(), "commit " + i);
                }
                // Committing used the poller's wake queue: nothing on the server's path may need sun.misc.Unsafe
                // (JDK 24+ warns on its first use; the image no longer allows it).
                assertFalse(p.output().contains("sun.misc.Unsafe"), p.output());
            } finally {
                for (RawClient c : clients) c.close();
            }
        }
    }

    @Test
    void secondProcessOnTheSameDataDirIsRefused() throws Exception {
        String output = startASecondServer(false);
        assertTrue(output.contains(dir.resolve("data").toString()), output);
    }

    /**
     * With LOCK deleted under a running server, a second one would take a fresh lock and both would write the log.
     * It is refused anyway: the first has the active segment open for writing.
     */
    @Test
    void aSecondServerIsRefusedEvenWhenTheLockFileWasDeleted() throws Exception {
        String output = startASecondServer(true);
        assertTrue(output.contains("has a commit log file open") && output.contains("was LOCK deleted?"), output);
    }

    /** Starts a server, then another on the same data dir (after deleting LOCK if asked); returns the second's output. */
    private String startASecondServer(boolean deleteLock) throws Exception {
        Path data = dir.resolve("data");
        Path cfg = JarProcess.config(dir, data, "", "fsync = false\n");
        try (JarProcess first = JarProcess.start("--config", cfg.toString())) {
            first.awaitListening();
            if (deleteLock) Files.delete(data.resolve("LOCK"));
            try (JarProcess second = JarProcess.start("--config", cfg.toString())) {
                assertEquals(1, second.awaitExit(), second.output());
                return second.output();
            }
        }
    }

    /**
     * A failure the config check cannot foresee (here a ring that does not fit the heap) exits 1 with the cause,
     * instead of hanging with the data dir locked: threads started before the failure are not daemons.
     */
    @Test
    void aStartupFailureExitsInsteadOfHanging() throws Exception {
        Path cfg = JarProcess.config(dir, dir.resolve("data"),
            "[http.pipelines.commit_status]\nring_buffer_size = 16777216\n", "fsync = false\n");
        try (JarProcess p = JarProcess.start("--config", cfg.toString())) {  // -Xmx256m
            assertEquals(1, p.awaitExit());
            assertTrue(p.output().contains("cannot start: java.lang.OutOfMemoryError"), p.output());
        }
    }

    @Test
    void corruptLogIsRefusedNamingFileAndOffset() throws Exception {
        Path data = dir.resolve("data");
        Path cfg = JarProcess.config(dir, data, "", "fsync = true\n");
        try (JarProcess p = JarProcess.start("--config", cfg.toString())) {
            int port = p.awaitListening();
            String body = "{\"operations\":[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]}";
            try (RawClient c = new RawClient(port)) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(200, c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).read().status());
                }
            }
            p.terminate();
            assertEquals(0, p.awaitExit());
        }
        Path seg;
        try (var files = Files.list(data.resolve("log"))) {
            seg = files.filter(x -> x.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(seg);
        int mid = 20 + 40; // inside the first record's body, which two valid records follow
        b[mid] ^= 0x5a;
        Files.write(seg, b);
        try (JarProcess p = JarProcess.start("--config", cfg.toString())) {
            assertEquals(1, p.awaitExit());
            assertTrue(p.output().contains(seg.getFileName().toString()) && p.output().contains("offset"), p.output());
        }
    }

    @Test
    void carrierThreadsSizesTheVirtualThreadScheduler() throws Exception {
        Path cfg = JarProcess.config(dir, dir.resolve("data"), "network_threads = 1\ncarrier_threads = 1", "");
        try (JarProcess p = JarProcess.start("--config", cfg.toString())) {
            int port = p.awaitListening();
            assertTrue(p.output().contains("1 poller thread(s), 1 carrier thread(s)"), p.output());
            // Log records are one line each (Main.LOG_FORMAT), level and source before the message.
            assertTrue(java.util.regex.Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO "
                + "io\\.weaseldb\\.storage\\.SegmentedFileLog: commit log ").matcher(p.output()).find(), p.output());
            // Keep 16 connections busy at once: the JDK's default scheduler would start a carrier per core.
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(16);
            try {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    done.add(clients.submit(() -> {
                        try (RawClient c = new RawClient(port)) {
                            for (int j = 0; j < 200; j++) {
                                assertEquals("OK", c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().bodyText());
                            }
                        }
                        return null;
                    }));
                }
                for (var f : done) f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                clients.shutdownNow();
            }
            long carriers;
            try (var tasks = Files.list(Path.of("/proc", Long.toString(p.process.pid()), "task"))) {
                carriers = tasks.filter(t -> {
                    try {
                        return Files.readString(t.resolve("comm")).startsWith("ForkJoinPool-");
                    } catch (java.io.IOException gone) {
                        return false;
                    }
                }).count();
            }
            assertEquals(1, carriers, "carrier (ForkJoinPool worker) threads");
        }
    }

    @Test
    void embeddedDefaultsServeOk() throws Exception {
        // No --config and no config/weaseldb.toml in the working directory: the embedded defaults (port 8080) apply.
        // Only checked when 8080 is free on this machine.
        try (java.net.ServerSocket probe = new java.net.ServerSocket(8080)) {
            probe.close();
        } catch (java.io.IOException busy) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(JarProcess.java(), "-Xmx256m", "-jar", JarProcess.jar().toString())
            .directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        try {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                    String l;
                    while ((l = r.readLine()) != null) if (l.startsWith("listening on")) return l;
                    return "exited";
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            assertEquals("listening on 0.0.0.0:8080", line.get(30, java.util.concurrent.TimeUnit.SECONDS));
            try (RawClient c = new RawClient(8080)) {
                assertEquals("OK", c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().bodyText());
            }
            assertTrue(Files.isDirectory(dir.resolve("data/log")), "default data_dir is ./data");
        } finally {
            p.destroy();
            p.waitFor();
        }
    }
}
