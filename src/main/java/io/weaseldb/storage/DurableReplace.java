package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a small file whole, so that a crash leaves either the old content or the new, never a mix: written to
 * {@code temp}, forced, renamed over the target, and the directory forced (the rename's entry is durable too).
 */
final class DurableReplace {
    private DurableReplace() { }

    /** The new content, written to the temporary file's channel. */
    @FunctionalInterface
    interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Writes {@code parts} as {@code target}'s new content by way of {@code temp} (same directory); forces when {@code fsync}. */
    static void write(Path temp, Path target, boolean fsync, ByteBuffer... parts) throws IOException {
        write(temp, target, fsync, ch -> {
            while (parts[parts.length - 1].hasRemaining()) ch.write(parts);
        });
    }

    /** As {@link #write(Path, Path, boolean, ByteBuffer...)}, the content written by {@code body}. */
    static void write(Path temp, Path target, boolean fsync, Body body) throws IOException {
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            body.writeTo(ch);
            if (fsync) ch.force(true);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);  // a partial file must not keep the room it took (a full disk, most likely)
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (fsync) SegmentedFileLog.forceDirectory(target.getParent());
    }
}
