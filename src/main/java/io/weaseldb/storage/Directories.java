package io.weaseldb.storage;

import java.io.IOException;
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
    private Directories() { }

    /** Forces one directory (its entries); a seam for tests. */
    @FunctionalInterface
    interface Forcer {
        void force(Path dir) throws IOException;
    }

    /**
     * Creates {@code dir} and its missing ancestors, top down, forcing the parent of each one created when
     * {@code fsync}. Nothing is forced when everything already exists.
     */
    public static void createDurably(Path dir, boolean fsync) throws IOException {
        createDurably(dir, fsync ? SegmentedFileLog::forceDirectory : d -> { });
    }

    static void createDurably(Path dir, Forcer forcer) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path d = dir.toAbsolutePath(); d != null && !Files.isDirectory(d); d = d.getParent()) missing.push(d);
        while (!missing.isEmpty()) {
            Path d = missing.pop();
            try {
                Files.createDirectory(d);
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(d)) throw raced;  // a file of that name: no directory can be made there
            }
            // Forced even when another process created it just now: it may not have forced it yet.
            forcer.force(d.getParent());
        }
    }
}
