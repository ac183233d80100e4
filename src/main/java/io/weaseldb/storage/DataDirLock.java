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
        Files.createDirectories(dataDir);  // made durable by the server before it takes the lock (WeaselServer)
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
            long other = processWithOpenLogFile(dataDir.toRealPath().resolve(SegmentedFileLog.LOG_DIR));
            if (other > 0) {
                throw new IOException("data directory " + dataDir.toAbsolutePath() + " is in use by another process (pid "
                        + other + " has a commit log file open), although " + file + " was not locked: was LOCK deleted?");
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

    /**
     * A second guard, for when the lock file itself was deleted under a running server (the new file's lock is then
     * free): a running server always has its active segment open, so look for another process with an open file
     * in {@code logDir} (Linux {@code /proc/PID/fd}; processes we may not inspect are skipped). Returns its pid, or -1.
     */
    private static long processWithOpenLogFile(Path logDir) {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(logDir) || !Files.isDirectory(proc)) return -1;
        long self = ProcessHandle.current().pid();
        try (var pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path pidDir : pids) {
                long pid = Long.parseLong(pidDir.getFileName().toString());
                if (pid == self) continue;
                try (var fds = Files.newDirectoryStream(pidDir.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (Files.readSymbolicLink(fd).startsWith(logDir) && openForWriting(pidDir, fd)) return pid;
                        } catch (IOException | UnsupportedOperationException gone) {
                            // closed meanwhile, or not a link
                        }
                    }
                } catch (IOException | SecurityException notOurs) {
                    // exited, or not ours to inspect
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** From {@code /proc/PID/fdinfo}: opened write-only or read-write (a backup tool reading segments is not a server). */
    private static boolean openForWriting(Path pidDir, Path fd) {
        try {
            for (String line : Files.readAllLines(pidDir.resolve("fdinfo").resolve(fd.getFileName()))) {
                if (line.startsWith("flags:")) return (Integer.parseInt(line.substring(6).strip(), 8) & 3) != 0;
            }
        } catch (IOException | NumberFormatException e) {
            // gone meanwhile: not a holder
        }
        return false;
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
