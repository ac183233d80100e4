package io.weaseldb.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code java -jar weaseldb.jar --config <temp>} with fsync on, as a child process; its output kept for failure messages. */
public final class ChildServer {
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");

    public final Process process;
    public final int port;
    private final StringBuffer output;

    private ChildServer(Process process, int port, StringBuffer output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    public static ChildServer start(Path tmp, Path data, String name) throws Exception {
        return start(tmp, data, name, "");
    }

    /** {@code storageTail}: more lines after the [storage] table's own (more storage keys, then other tables). */
    static ChildServer start(Path tmp, Path data, String name, String storageTail) throws Exception {
        return start(tmp, data, name, storageTail, "");
    }

    /** {@code httpKeys}: more [http] keys. */
    public static ChildServer start(Path tmp, Path data, String name, String storageTail, String httpKeys) throws Exception {
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
            %s[storage]
            data_dir = "%s"
            fsync = true
            segment_bytes = 65536
            """.formatted(httpKeys, data.toString().replace("\\", "\\\\")) + storageTail);
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
            return new ChildServer(p, listening.get(30, TimeUnit.SECONDS), output);
        } catch (Exception e) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("weaseldb (" + name + ") did not start: " + e + "\n" + output, e);
        }
    }

    /** SIGKILL: no shutdown hook, no drain, no final fsync. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the child did not die");
    }

    /** The first 20,000 characters the child printed. */
    String output() {
        return output.toString();
    }
}
