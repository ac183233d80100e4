package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A version the log remembers about its own ends, in a one-line decimal file of the log directory, so that
 * recovery can tell segments deleted by anything but the log itself (an operator, a partial restore) from a log
 * that never had them, instead of starting on a log that silently lost acknowledged commits:
 * <ul>
 *   <li>{@link #OLDEST} ({@code oldest-version}): raised (durably) before retention deletes segments; a log whose
 *       oldest segment starts above it lost its oldest segments.</li>
 *   <li>{@link #NEWEST_SEGMENT} ({@code newest-segment}): the first version of the newest segment, raised once a
 *       roll made the new segment durable; a log whose newest segment starts below it lost its newest ones.</li>
 * </ul>
 * A log without a mark (made before it existed) gets one at open. The id archive keeps its own {@link #OLDEST} in
 * its directory (see {@link FileIdArchive}).
 */
final class VersionMark {
    static final VersionMark OLDEST = new VersionMark("oldest-version");
    static final VersionMark NEWEST_SEGMENT = new VersionMark("newest-segment");

    private final String name;
    private final String temp;

    private VersionMark(String name) {
        this.name = name;
        this.temp = name + ".tmp";
    }

    /** The file's name in the log directory. */
    String fileName() {
        return name;
    }

    OptionalLong read(Path logDir) throws IOException {
        String text;
        try {
            text = Files.readString(logDir.resolve(name), StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 1) return OptionalLong.of(v);
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new CorruptLogException(logDir.resolve(name), 0, "expected a version ≥ 1, found \"" + text + "\"");
    }

    /** Replaces the mark with {@code version} (see {@link DurableReplace}). */
    void write(Path logDir, long version, boolean fsync) throws IOException {
        DurableReplace.write(logDir.resolve(temp), logDir.resolve(name), fsync,
            ByteBuffer.wrap((version + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** True for a mark's file or its temporary (not segments, and not strays worth a warning). */
    static boolean isOwnFile(Path p) {
        String n = p.getFileName().toString();
        for (VersionMark m : new VersionMark[] {OLDEST, NEWEST_SEGMENT}) {
            if (n.equals(m.name) || n.equals(m.temp)) return true;
        }
        return false;
    }
}
