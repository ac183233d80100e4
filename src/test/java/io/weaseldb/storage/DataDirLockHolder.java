package io.weaseldb.storage;

import java.nio.file.Path;

/** Child process for {@link DataDirLockTest}: holds the lock on args[0] until its stdin closes. */
public final class DataDirLockHolder {
    private DataDirLockHolder() { }

    public static void main(String[] args) throws Exception {
        try (DataDirLock lock = DataDirLock.acquire(Path.of(args[0]))) {
            System.out.println(lock.dataDir().equals(Path.of(args[0])) ? "LOCKED" : "WRONG DIR");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for EOF
            }
        }
    }
}
