package io.weaseldb.server;

import io.weaseldb.config.ConfigException;
import io.weaseldb.config.ConfigLoader;
import io.weaseldb.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import io.weaseldb.http.Router;

/** An in-process server on a free loopback port with a temp data dir, for integration tests. */
public final class TestServer implements AutoCloseable {
    public final WeaselServer server;
    public final Path dataDir;
    public final int port;

    private TestServer(WeaselServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = server.address().getPort();
    }

    /**
     * @param httpKeys extra {@code [http]} lines (the base is loopback, port 0, one poller)
     * @param sections further tables; a temp data dir with fsync off is used unless they contain {@code [storage]}
     */
    public static TestServer start(String httpKeys, String sections) {
        return start(httpKeys, sections, r -> { });
    }

    public static TestServer start(String httpKeys, String sections, Consumer<Router> extraRoutes) {
        try {
            Path dir = Files.createTempDirectory("weaseldb-test");
            String toml = "[http]\nbind_address = \"127.0.0.1\"\nport = 0\nnetwork_threads = 1\n" + httpKeys + "\n" + sections;
            if (!sections.contains("[storage]")) {
                toml += "\n[storage]\ndata_dir = \"" + dir.resolve("data") + "\"\nfsync = false\n";
            }
            ServerConfig cfg = ConfigLoader.parse("test.toml", toml);
            return new TestServer(WeaselServer.start(cfg, extraRoutes), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static TestServer start(String httpKeys) {
        return start(httpKeys, "");
    }

    public static TestServer start() {
        return start("", "");
    }

    public int openConnections() {
        return server.net().openConnections();
    }

    /** KiB of the request-body budget not held by any request. */
    public int bodyBudgetAvailableKiB() {
        return server.net().bodyBudgetAvailableKiB();
    }

    public int liveThreads() {
        return server.net().liveConnectionThreads();
    }

    /** Polls {@code condition} until true or {@code timeout} passes; fails with {@code what}. */
    public static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for: " + what);
            try {
                Thread.sleep(5); // polling interval of a poll-with-deadline, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Open connections and connection threads are back to zero (nothing leaked). */
    public void awaitNoConnections() {
        awaitTrue("open connections and connection threads back to 0 (open=" + openConnections()
            + ", threads=" + liveThreads() + ")", Duration.ofSeconds(10),
            () -> openConnections() == 0 && liveThreads() == 0);
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
