package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Creates directories whose entries survive a power failure. A new directory is only a name in its parent until
 * the parent is forced: without that, a power cut shortly after the first commits on a new data directory took
 * the whole directory, every acknowledged commit in it, and the server then started empty at version 0 (the
 * power-loss audit, on a file system that drops what was not forced).
 */
public final class Directories {
    private static final System.Logger LOG = System.getLogger(Directories.class.getName());

    private Directories() { }

    /** Forces one directory (its entries); a seam for tests. */
    @FunctionalInterface
    interface Forcer {
        void force(Path dir) throws IOException;
    }

    /**
     * Creates {@code dir} and its missing ancestors, top down, forcing the parent of each one created when
     * {@code fsync}. When {@code dir} already exists its parent is forced anyway (once per start, cheap): a crash
     * between a directory's creation and its parent's force left it undurable, and nothing else would fix that.
     * A force that fails (a parent this user may write but not read) is a warning, not a failure to start.
     */
    public static void createDurably(Path dir, boolean fsync) throws IOException {
        createDurably(dir, fsync ? SegmentedFileLog::forceDirectory : d -> { });
    }

    static void createDurably(Path dir, Forcer forcer) throws IOException {
        Path target = dir.toAbsolutePath();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path d = target; d != null && !Files.isDirectory(d); d = d.getParent()) missing.push(d);
        if (missing.isEmpty()) {
            forceQuietly(forcer, target.getParent(), null);
            return;
        }
        while (!missing.isEmpty()) {
            Path d = missing.pop();
            try {
                Files.createDirectory(d);
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(d)) throw raced;  // a file of that name: no directory can be made there
            }
            // Forced even when another process created it just now: it may not have forced it yet.
            forceQuietly(forcer, d.getParent(), d);
        }
    }

    /** Forces {@code parent}; a failure is reported when it leaves {@code created} (if any) undurable. */
    private static void forceQuietly(Forcer forcer, Path parent, Path created) {
        if (parent == null) return;
        try {
            forcer.force(parent);
        } catch (IOException e) {
            if (created != null) {
                LOG.log(Level.WARNING, "could not force " + parent + " (" + e + "): the new directory " + created
                    + " may not survive a power failure");
            }
        }
    }
}
