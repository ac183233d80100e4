package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {
    @TempDir
    Path dir;

    @Test
    void secondLockInTheSameProcessIsRefusedAndTheFirstSurvivesIt() throws IOException {
        try (DataDirLock first = DataDirLock.acquire(dir)) {
            IOException e = assertThrows(IOException.class, () -> DataDirLock.acquire(dir));
            assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), e.getMessage());
            assertThrows(IOException.class, () -> DataDirLock.acquire(dir.resolve(".")), "same directory, other spelling");
            assertEquals(dir, first.dataDir());
        }
        try (DataDirLock again = DataDirLock.acquire(dir)) {
            assertEquals(dir, again.dataDir());
        }
    }

    @Test
    void lockHeldByAnotherProcessIsRefusedUntilItExits() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                DataDirLockHolder.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("LOCKED", out.readLine());
            IOException e = assertThrows(IOException.class, () -> DataDirLock.acquire(dir));
            assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()) && e.getMessage().contains("another"), e.getMessage());
            assertTrue(e.getMessage().contains("pid " + child.pid()), e.getMessage());
            child.getOutputStream().close(); // the holder exits when its stdin closes
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            try (DataDirLock mine = DataDirLock.acquire(dir)) {
                assertEquals(dir, mine.dataDir());
            }
        } finally {
            child.destroyForcibly();
        }
    }
}
