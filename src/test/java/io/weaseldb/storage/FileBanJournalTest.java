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
        return FileBanJournal.open(dir, false, 10_000, 5, 1000, clock::get, generationBytes, false);
    }

    private List<BanJournal.Ban> replay() throws IOException {
        List<BanJournal.Ban> out = new ArrayList<>();
        try (FileBanJournal j = open(FileBanJournal.GENERATION_BYTES)) {
            j.replay(out::add);
        }
        return out;
    }

    /** The generation files (not the floor mark). */
    private List<Path> files() throws IOException {
        return LogTestSupport.filesIn(dir.resolve(FileBanJournal.DIR)).stream()
            .filter(p -> p.getFileName().toString().endsWith(".ban")).toList();
    }

    private Path floorMark() {
        return dir.resolve(FileBanJournal.DIR).resolve(VersionMark.OLDEST.fileName());
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
        assertEquals(String.valueOf(IdRecords.number(files().get(0), ".ban")), Files.readString(floorMark()).strip(),
            "the floor is raised before generations go");
        assertTrue(replay().size() <= 2, "what is left is the newest bans only");
    }

    /**
     * Generations deleted by anything but the journal: one from the middle, the oldest above the floor mark, every
     * one of them (the mark left, or the whole directory gone while the log has commits). Each is refused naming
     * the way to start anyway, and that way works.
     */
    @Test
    void generationsDeletedByAnythingElseAreRefused() throws IOException {
        try (FileBanJournal j = open(64)) {
            for (int i = 1; i <= 8; i++) {
                j.append("id-" + i, i, clock.get());
                j.sync(i);  // a new generation every two bans
            }
        }
        List<Path> f = files();
        assertTrue(f.size() >= 3, "several generations: " + f);
        assertEquals("1", Files.readString(floorMark()).strip());

        Files.delete(f.get(1));
        CorruptLogException middle = assertThrows(CorruptLogException.class, () -> open(64));
        assertTrue(middle.getMessage().contains("generations 2..2 are missing from the middle")
            && middle.getMessage().contains("create them as empty files (" + f.get(1)), middle.getMessage());
        Files.createFile(f.get(1));
        open(64).close();

        Files.delete(f.get(0));
        CorruptLogException oldest = assertThrows(CorruptLogException.class, () -> open(64));
        assertTrue(oldest.getMessage().contains("generations 1..1 are missing")
            && oldest.getMessage().contains("write 2 into " + floorMark()), oldest.getMessage());
        Files.writeString(floorMark(), "2\n");
        open(64).close();

        for (Path p : files()) Files.delete(p);
        CorruptLogException all = assertThrows(CorruptLogException.class, () -> open(64));
        assertTrue(all.getMessage().contains("every generation") && all.getMessage().contains("create the empty file "
            + dir.resolve(FileBanJournal.DIR).resolve("00000000000000000002.ban")), all.getMessage());
        Files.createFile(dir.resolve(FileBanJournal.DIR).resolve("00000000000000000002.ban"));
        open(64).close();

        try (var listing = Files.list(dir.resolve(FileBanJournal.DIR))) {
            for (Path p : listing.toList()) Files.delete(p);
        }
        Files.delete(dir.resolve(FileBanJournal.DIR));
        CorruptLogException gone = assertThrows(CorruptLogException.class,
            () -> FileBanJournal.open(dir, false, 10_000, 5, 1000, clock::get, 64, true));
        assertTrue(gone.getMessage().contains("every generation"), gone.getMessage());
        open(64).close();  // a log without commits: a new journal
        assertEquals(List.of(dir.resolve(FileBanJournal.DIR).resolve("00000000000000000001.ban")), files());
    }
}
