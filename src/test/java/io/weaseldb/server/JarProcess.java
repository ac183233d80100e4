package io.weaseldb.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The server jar ({@code -Dweaseldb.jar}, set by failsafe) run as a child process, as a user runs it. */
public final class JarProcess implements AutoCloseable {
    public final Process process;
    private final List<String> output = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> listening = new CompletableFuture<>();

    private JarProcess(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon(true).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    if (line.startsWith("listening on ")) {
                        listening.complete(Integer.parseInt(line.substring(line.lastIndexOf(':') + 1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            listening.completeExceptionally(new IllegalStateException("exited without listening: " + output));
        });
    }

    public static Path jar() {
        String p = System.getProperty("weaseldb.jar");
        if (p == null || !Files.exists(Path.of(p))) {
            throw new IllegalStateException("run through failsafe after package: -Dweaseldb.jar=" + p);
        }
        return Path.of(p);
    }

    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * {@code java} and its options for a child server: a small heap, and temporary files kept under {@code target/}.
     * A server with metrics on leaves its JFR repository in {@code java.io.tmpdir} when it is killed (README,
     * "Temporary files"), and the tests kill servers: in the shared {@code /tmp} those piled up run after run.
     */
    public static List<String> javaCommand() throws IOException {
        Path tmp = Files.createDirectories(Path.of("target", "child-tmp").toAbsolutePath());
        return List.of(java(), "-Xmx256m", "-Djava.io.tmpdir=" + tmp);
    }

    /** Starts {@code java -jar weaseldb.jar ARGS} with stderr merged into stdout. */
    public static JarProcess start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of("-jar", jar().toString()));
        cmd.addAll(List.of(args));
        return new JarProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** Like {@link #start} with the process's open-file limit set to {@code files} first (through bash's ulimit). */
    public static JarProcess startWithFileLimit(int files, String... args) throws IOException {
        StringBuilder cmd = new StringBuilder("ulimit -n " + files + " && exec");
        List<String> java = new ArrayList<>(javaCommand());
        java.addAll(List.of("-jar", jar().toString()));
        for (String a : java) cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        for (String a : args) cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        return new JarProcess(new ProcessBuilder("bash", "-c", cmd.toString()).redirectErrorStream(true).start());
    }

    /** Writes a config with a free port and {@code dataDir}, plus {@code extra} TOML, to {@code dir}/weaseldb.toml. */
    public static Path config(Path dir, Path dataDir, String extraHttp, String extraSections) throws IOException {
        Path f = dir.resolve("weaseldb.toml");
        Files.writeString(f, "[http]\nbind_address = \"127.0.0.1\"\nport = 0\n" + extraHttp + "\n[storage]\ndata_dir = \""
            + dataDir + "\"\n" + extraSections);
        return f;
    }

    /** Waits for "listening on HOST:PORT" and returns the port. */
    public int awaitListening() throws Exception {
        try {
            return listening.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no 'listening on' line within 30 s; output: " + output);
        }
    }

    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("process did not exit; output: " + output);
        return process.exitValue();
    }

    public String output() {
        return String.join("\n", output);
    }

    /** SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
