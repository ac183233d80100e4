package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoriesTest {
    @TempDir
    Path tmp;

    @Test
    void eachCreatedDirectoryIsMadeDurableInItsParentTopDown() throws IOException {
        List<Path> forced = new ArrayList<>();
        Path dir = tmp.resolve("a/b/c");
        Directories.createDurably(dir, forced::add);
        assertTrue(Files.isDirectory(dir));
        assertEquals(List.of(tmp.toAbsolutePath(), tmp.resolve("a").toAbsolutePath(), tmp.resolve("a/b").toAbsolutePath()), forced);
    }

    @Test
    void anExistingDirectoryIsForcedIntoItsParentOnceAndOnlyTheNewOnesAreForcedOtherwise() throws IOException {
        Files.createDirectories(tmp.resolve("a/b"));
        List<Path> forced = new ArrayList<>();
        Directories.createDurably(tmp.resolve("a/b"), forced::add);
        assertEquals(List.of(tmp.resolve("a").toAbsolutePath()), forced, "a crash may have come before its force");
        forced.clear();
        Directories.createDurably(tmp.resolve("a/b/c"), forced::add);
        assertEquals(List.of(tmp.resolve("a/b").toAbsolutePath()), forced, "only the parent of the one created");
    }

    @Test
    void aForceThatFailsIsNoFailureToStart() throws IOException {
        Directories.createDurably(tmp.resolve("p/q"), d -> {
            throw new java.nio.file.AccessDeniedException(d.toString());
        });
        assertTrue(Files.isDirectory(tmp.resolve("p/q")));
    }

    @Test
    void aFileInTheWayIsAnError() throws IOException {
        Files.writeString(tmp.resolve("f"), "x");
        assertThrows(IOException.class, () -> Directories.createDurably(tmp.resolve("f/d"), true));
    }

    @Test
    void realForcingWorks() throws IOException {
        Directories.createDurably(tmp.resolve("x/y"), true);
        assertTrue(Files.isDirectory(tmp.resolve("x/y")));
    }
}
