package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ban journal on real files: order, torn tails, damage, and which generations a restart no longer needs. */
class FileBanJournalTest {
    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000_000);

    private FileBanJournal open(long generationBytes) throws IOException {
        // Retention: 10 s and 5 versions; at most 1000 bans a restart could keep.
        return FileBanJournal.open(dir, false, 10_000, 5, 1000, clock::get, generationBytes);
    }

    private List<BanJournal.Ban> replay() throws IOException {
        List<BanJournal.Ban> out = new ArrayList<>();
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            j.replay(out::add);
        }
        return out;
    }

    private List<Path> files() throws IOException {
        return LogTestSupport.filesIn(dir.resolve(FileBanJournal.DIR));
    }

    @Test
    void bansComeBackInTheOrderMade() throws IOException {
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            j.append("first-id", 3, 100);
            j.append("sécond-\ud83d\ude00", 3, 101);
            j.sync(3);
            j.append("third", 7, 102);
            j.sync(7);
        }
        assertEquals(List.of(new BanJournal.Ban("first-id", 3, 100), new BanJournal.Ban("sécond-\ud83d\ude00", 3, 101),
            new BanJournal.Ban("third", 7, 102)), replay());
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            j.append("fourth", 8, 103);
            j.sync(8);
        }
        assertEquals(4, replay().size(), "appended after reopening");
    }

    @Test
    void aTornTailIsCutAndAppendingContinues() throws IOException {
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            j.append("kept", 1, 100);
            j.sync(1);
        }
        Path file = files().get(0);
        long good = Files.size(file);
        Files.write(file, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);  // a record cut short
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            assertEquals(good, Files.size(file), "the torn record is cut");
            j.append("after", 2, 101);
            j.sync(2);
        }
        assertEquals(List.of(new BanJournal.Ban("kept", 1, 100), new BanJournal.Ban("after", 2, 101)), replay());
    }

    @Test
    void damageInAClosedGenerationIsRefusedNamingFileAndOffset() throws IOException {
        try (FileBanJournal j = open(64)) {
            for (int i = 0; i < 6; i++) {
                j.append("id-" + i, i, 100 + i);
                j.sync(i);  // ~41 bytes each: a new generation every two bans
            }
        }
        List<Path> files = files();
        assertTrue(files.size() > 2, "several generations: " + files);
        byte[] first = Files.readAllBytes(files.get(0));
        first[25] ^= 1;  // inside the first ban's id
        Files.write(files.get(0), first);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(64));
        assertTrue(e.getMessage().startsWith("corrupt ban journal: ") && e.getMessage().contains(files.get(0).getFileName()
            + " at byte offset 0: record CRC32C mismatch"), e.getMessage());
    }

    @Test
    void generationsGoOnceTheirBansExpiredByBothRules() throws IOException {
        try (FileBanJournal j = open(64)) {
            for (int i = 1; i <= 6; i++) {
                j.append("id-" + i, i, clock.get());
                j.sync(i);
            }
            int before = j.generations();
            assertTrue(before > 2, "several generations: " + before);
            clock.addAndGet(20_000);  // the hours rule has passed, the versions rule not yet (last version 6)
            j.sync(6);
            assertEquals(before, j.generations(), "kept while within request_id_retention_versions");
            j.sync(100);  // both rules passed for every closed generation
            assertEquals(1, j.generations(), "only the active generation is left");
        }
        assertTrue(replay().size() <= 2, "what is left is the newest bans only");
    }
}
