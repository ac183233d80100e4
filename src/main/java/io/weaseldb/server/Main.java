package io.weaseldb.server;

import io.weaseldb.config.ConfigException;
import io.weaseldb.config.ConfigLoader;
import io.weaseldb.net.ThreadCounts;
import io.weaseldb.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/** {@code java -jar weaseldb.jar [--config FILE]}. */
public final class Main {
    static final Path DEFAULT_CONFIG = Path.of("config/weaseldb.toml");

    private static final String USAGE = """
        usage: java -jar weaseldb.jar [--config FILE] [--help]

          --config FILE  TOML configuration (default: config/weaseldb.toml if it exists,
                         else the embedded defaults; see README "Configuration")
          --help         print this and exit

        Prints "listening on HOST:PORT" when ready. SIGTERM/SIGINT drain and exit 0.
        """;

    private Main() { }

    /**
     * One line per log record (the JDK's default takes two: date and source, then level and message), so log
     * collectors see whole records: {@code 2026-11-26 18:39:28.123 INFO io.weaseldb.storage.SegmentedFileLog:
     * commit log ...}. A format given with {@code -Djava.util.logging.SimpleFormatter.format} wins.
     */
    static final String LOG_FORMAT = "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n";

    public static void main(String[] args) throws Exception {
        // Before anything logs: the JDK's logging reads it once, when its first logger is made.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", LOG_FORMAT);
        }
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--config" -> {
                    if (i + 1 >= args.length) fail("--config needs a file");
                    // Refused rather than last-wins: one of the two files the operator named would be ignored.
                    if (configFile != null) fail("--config given twice (" + configFile + ", " + args[i + 1] + ")");
                    configFile = Path.of(args[++i]);
                }
                default -> fail("unknown argument: " + args[i]);
            }
        }
        ServerConfig cfg;
        try {
            if (configFile != null) cfg = ConfigLoader.load(configFile);
            else if (Files.exists(DEFAULT_CONFIG)) cfg = ConfigLoader.load(DEFAULT_CONFIG);
            else cfg = ServerConfig.defaults();
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }

        HaltOnVmError.install();
        // Before anything creates a virtual thread: the scheduler reads its size once.
        System.err.println("weaseldb: " + ThreadCounts.applyCarriers(cfg.http().networkThreads(), cfg.http().carrierThreads()));
        WeaselServer server;
        try {
            server = WeaselServer.start(cfg);
        } catch (java.io.IOException e) {
            // e.g. a corrupt log (names file and offset), a data dir locked by another process, a port in use
            System.err.println("weaseldb: cannot start: " + describe(e));
            System.exit(1);
            return;
        } catch (RuntimeException | Error e) {
            // A bug, or a setting the schema let through that a component refuses. Threads started before the
            // failure are not daemons: without this exit the process would hang holding the data dir's lock.
            System.err.println("weaseldb: cannot start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> Thread.ofPlatform().name("weaseldb-shutdown").start(() -> {
            server.shutdown();
            stopped.countDown();
        });
        // Handled here (not by a shutdown hook) so that a drained stop exits 0 rather than 128+signal.
        Signal.handle(new Signal("TERM"), s -> stop.run());
        Signal.handle(new Signal("INT"), s -> stop.run());
        System.out.println("listening on " + cfg.http().bindAddress() + ":" + server.address().getPort());
        System.out.flush();
        stopped.await();
        System.exit(0);
    }

    private static void fail(String message) {
        System.err.println(message);
        System.err.print(USAGE);
        System.exit(2);
    }

    /**
     * The JDK's file-system exceptions carry the path as their whole message ("/data/LOCK"), often with no reason:
     * name the reason too, so that a startup failure says what is wrong with the path.
     */
    static String describe(java.io.IOException e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            String reason = f.getReason() != null ? f.getReason() : switch (f) {
                case java.nio.file.AccessDeniedException x -> "permission denied";
                case java.nio.file.NoSuchFileException x -> "no such file or directory";
                case java.nio.file.NotDirectoryException x -> "not a directory";
                case java.nio.file.FileAlreadyExistsException x -> x.getFile() != null
                    && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(x.getFile())) ? "exists and is not a directory" : "already exists";
                default -> f.getClass().getSimpleName();
            };
            return (f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": ")
                + reason;
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
