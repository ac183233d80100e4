package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive ownership of a data directory for the life of the process: an OS file lock on
 * {@code dataDir/LOCK}, so a second server on the same directory fails fast instead of interleaving writes
 * into the same log. The lock dies with the process, so a crash never leaves it stale. The file holds the
 * owner's pid, for the operator's benefit only.
 */
public final class DataDirLock implements AutoCloseable {
    static final String FILE_NAME = "LOCK";
    /**
     * Lock files held by this JVM. Checked before opening a second channel because on Linux closing <em>any</em>
     * descriptor of a file drops the process's fcntl locks on it, so a failed second attempt would release
     * the first holder's lock.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dataDir;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dataDir, Path file, FileChannel channel, FileLock lock) {
        this.dataDir = dataDir;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, creating {@code dataDir} if needed; fails with a message naming the directory if it is held. */
    public static DataDirLock acquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.toRealPath().resolve(FILE_NAME);
        if (!HELD.add(file)) {
            throw new IOException("data directory " + dataDir.toAbsolutePath() + " is already in use by this process (" + file + " is locked)");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            throw e;
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // not expected given HELD, but means the same thing
            }
            if (lock == null) {
                throw new IOException("data directory " + dataDir.toAbsolutePath() + " is in use by another WeaselDB process "
                        + "(lock on " + file.toAbsolutePath() + " is held" + holderHint(ch) + ")");
            }
            ch.truncate(0);
            ByteBuffer pid = ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            while (pid.hasRemaining()) ch.write(pid, pid.position());
            return new DataDirLock(dataDir, file, ch, lock);
        } catch (IOException | RuntimeException e) {
            ch.close();
            HELD.remove(file);
            throw e;
        }
    }

    private static String holderHint(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            return pid.isEmpty() ? "" : " by pid " + pid;
        } catch (IOException e) {
            return "";
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) return;
        try {
            if (lock.isValid()) lock.release();
        } finally {
            channel.close();
            HELD.remove(file);
        }
    }
}
