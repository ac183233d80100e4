package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What "cannot start" says for data directory problems made on real files (the JDK's messages are bare paths). */
class StartupErrorTest {
    @TempDir
    Path dir;

    @Test
    void aDataDirectoryProblemNamesThePathAndTheReason() throws IOException {
        Path file = Files.writeString(dir.resolve("data"), "x");
        // data_dir is a regular file: the log directory cannot be made inside it
        IOException e = assertThrows(IOException.class, () -> Files.createDirectories(file.resolve("log")));
        assertEquals(file.resolve("log") + ": Not a directory", Main.describe(e));  // the OS's reason, when the JDK has one
        IOException missing = assertThrows(IOException.class, () -> Files.readString(dir.resolve("absent")));
        assertEquals(dir.resolve("absent") + ": no such file or directory", Main.describe(missing));
        IOException notDir = assertThrows(IOException.class, () -> Files.newDirectoryStream(file).close());
        assertEquals(file + ": not a directory", Main.describe(notDir));
        assertEquals("log damaged at 12", Main.describe(new IOException("log damaged at 12")));
        // What Files.createDirectories throws when the log directory's name is taken by a file (no OS reason given)
        Path log = Files.writeString(dir.resolve("log"), "x");
        IOException taken = assertThrows(IOException.class, () -> Files.createDirectories(log));
        assertEquals(log + ": exists and is not a directory", Main.describe(taken));
    }
}
