package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionPolicyStoreTest {
    @TempDir
    Path dir;

    @Test
    void createReplaceGetListDelete() throws Exception {
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        assertTrue(store.all().isEmpty());
        assertEquals(OptionalLong.empty(), store.minOfAll());
        assertTrue(store.put("backup-2", 50));
        assertTrue(store.put("a.b_c", 70));
        assertFalse(store.put("backup-2", 40), "replacing returns false");
        assertEquals(Optional.of(40L), store.get("backup-2"));
        assertEquals(Optional.empty(), store.get("missing"));
        assertEquals(List.of("a.b_c", "backup-2"), new ArrayList<>(store.all().keySet()));
        assertEquals(OptionalLong.of(40), store.minOfAll());
        assertTrue(store.delete("backup-2"));
        assertFalse(store.delete("backup-2"));
        assertEquals(OptionalLong.of(70), store.minOfAll());
        assertThrows(UnsupportedOperationException.class, () -> store.all().put("x", 1L));
    }

    /** Each change rewrites the file: the number of policies is bounded; replacing and deleting still work at the bound. */
    @Test
    void creatingBeyondTheBoundIsRefusedAndChangesNothing() throws Exception {
        RetentionPolicyStore store = RetentionPolicyStore.open(dir, 2);
        assertTrue(store.put("a", 1));
        assertTrue(store.put("b", 2));
        RetentionPolicyStore.TooManyPoliciesException e =
            assertThrows(RetentionPolicyStore.TooManyPoliciesException.class, () -> store.put("c", 3));
        assertTrue(e.getMessage().contains("at most 2"), e.getMessage());
        assertEquals(List.of("a", "b"), new ArrayList<>(RetentionPolicyStore.open(dir).all().keySet()), "nothing written");
        assertFalse(store.put("b", 5), "replacing is not creating");
        assertTrue(store.delete("a"));
        assertTrue(store.put("c", 3));
    }

    @Test
    void policiesSurviveReopen() throws Exception {
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        store.put("z", 3);
        store.put("m", Long.MAX_VALUE);
        store.put("a", 0);
        store.delete("m");
        SortedMap<String, Long> reopened = RetentionPolicyStore.open(dir).all();
        assertEquals(new TreeMap<>(Map.of("a", 0L, "z", 3L)), reopened);
        String text = Files.readString(dir.resolve(RetentionPolicyStore.FILE_NAME));
        assertTrue(text.startsWith("weaseldb-retention-policies 1\na 0\nz 3\ncrc32c "), text);
    }

    @Test
    void leftoverTempFileFromAnInterruptedWriteIsIgnored() throws Exception {
        RetentionPolicyStore.open(dir).put("keep", 10);
        Path temp = dir.resolve(RetentionPolicyStore.TEMP_NAME);
        Files.writeString(temp, "weaseldb-retention-policies 1\nhalf-writ");
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        assertEquals(Map.of("keep", 10L), store.all());
        assertFalse(Files.exists(temp));
        store.put("next", 11);
        assertEquals(Map.of("keep", 10L, "next", 11L), RetentionPolicyStore.open(dir).all());
    }

    @Test
    void damagedFileRefusesToLoadNamingTheFile() throws Exception {
        RetentionPolicyStore.open(dir).put("p", 10);
        Path file = dir.resolve(RetentionPolicyStore.FILE_NAME);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("p 10", "p 19"));
        IOException e = assertThrows(IOException.class, () -> RetentionPolicyStore.open(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum mismatch"), e.getMessage());
        Files.write(file, text.substring(0, text.length() - 5).getBytes(StandardCharsets.UTF_8));
        e = assertThrows(IOException.class, () -> RetentionPolicyStore.open(dir));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void invalidIdsAreRejected() throws Exception {
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        for (String bad : new String[] {"", "has space", "new\nline", "x".repeat(129), "slash/", "ü"}) {
            assertThrows(IllegalArgumentException.class, () -> store.put(bad, 1), bad);
        }
        assertTrue(store.put("x".repeat(128), 1));
        assertTrue(store.all().size() == 1);
    }

    @Test
    void concurrentPutsAreAllKept() throws Exception {
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        int threads = 4;
        int each = 10;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            started.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < each; i++) store.put("t" + id + "-" + i, i);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : started) t.join();
        assertTrue(errors.isEmpty(), errors::toString);
        assertEquals(threads * each, store.all().size());
        assertEquals(threads * each, RetentionPolicyStore.open(dir).all().size());
    }
}
