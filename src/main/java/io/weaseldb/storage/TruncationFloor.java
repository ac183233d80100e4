package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The oldest version the log may start at: {@code log/oldest-version}, one decimal line, raised (durably) before
 * retention deletes segments. Recovery compares it with the oldest segment on disk, so segments deleted by
 * anything but retention (an operator, a bad backup restore) are refused as missing instead of starting on a
 * log that silently lost acknowledged commits. A log without the file (created before it existed) gets one.
 */
final class TruncationFloor {
    static final String NAME = "oldest-version";
    private static final String TEMP = "oldest-version.tmp";

    private TruncationFloor() { }

    static OptionalLong read(Path logDir) throws IOException {
        String text;
        try {
            text = Files.readString(logDir.resolve(NAME), StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 1) return OptionalLong.of(v);
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new CorruptLogException(logDir.resolve(NAME), 0, "expected a version ≥ 1, found \"" + text + "\"");
    }

    /** Replaces the floor with {@code version} (see {@link DurableReplace}). */
    static void write(Path logDir, long version, boolean fsync) throws IOException {
        DurableReplace.write(logDir.resolve(TEMP), logDir.resolve(NAME), fsync,
            ByteBuffer.wrap((version + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** True for this file and its temporary (not segments, and not strays worth a warning). */
    static boolean isOwnFile(Path p) {
        String n = p.getFileName().toString();
        return n.equals(NAME) || n.equals(TEMP);
    }
}
