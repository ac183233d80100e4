package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The log's two {@link VersionMark}s as the log opens: checked against the segments recovery found (a log whose
 * marks show segments lost by anything but the log itself is refused), then brought up to date once the segments
 * exist. While the log runs, retention raises {@link VersionMark#OLDEST} and a roll raises
 * {@link VersionMark#NEWEST_SEGMENT} ({@link SegmentedFileLog}).
 */
record VersionMarks(Path logDir, OptionalLong floor, OptionalLong newestRolled) {
    /** Under the log's own name: these are the log's messages to operators. */
    private static final System.Logger LOG = System.getLogger(SegmentedFileLog.class.getName());

    /** Reads both marks and refuses the log when its segments ({@code recovered}, null when there are none) fall short of them. */
    static VersionMarks check(Path logDir, LogRecovery.Recovered recovered) throws IOException {
        OptionalLong floor = VersionMark.OLDEST.read(logDir);
        if (floor.isPresent()) refuseMissingSegments(logDir, floor.getAsLong(), recovered);
        OptionalLong newestRolled = VersionMark.NEWEST_SEGMENT.read(logDir);
        if (newestRolled.isPresent()) refuseMissingNewestSegments(logDir, newestRolled.getAsLong(), recovered);
        return new VersionMarks(logDir, floor, newestRolled);
    }

    /** Once the segments exist (the oldest and newest start at these versions): writes what is missing, raises what is behind. */
    void update(long oldest, long newest, boolean fsync) throws IOException {
        // After the first segment exists: a floor without segments always means they were deleted.
        if (floor.isEmpty()) VersionMark.OLDEST.write(logDir, oldest, fsync);
        // Also raised here: a roll that crashed (or found the disk full) between making its segment durable and
        // raising the mark.
        if (newestRolled.isEmpty() || newestRolled.getAsLong() < newest) raiseNewestMark(newest, fsync);
    }

    /**
     * A mark behind the newest segment only checks less (the segments from it on), so failing to raise it must not
     * keep the log from opening: a disk that filled up at a roll left exactly this state, and the server must start
     * on it to answer status queries and let retention free room. The next roll raises it. A missing mark is
     * written, as it is the only check there is.
     */
    private void raiseNewestMark(long newest, boolean fsync) throws IOException {
        try {
            VersionMark.NEWEST_SEGMENT.write(logDir, newest, fsync);
        } catch (IOException e) {
            if (newestRolled.isEmpty()) throw e;
            LOG.log(Level.WARNING, "commit log " + logDir + ": cannot raise " + VersionMark.NEWEST_SEGMENT.fileName() + " from "
                + newestRolled.getAsLong() + " to " + newest + " (" + e + "); starting with the old mark, raised at the next roll");
        }
    }

    /**
     * Retention deletes only segments below the floor: segments missing at or above it (the whole log, or the
     * oldest ones) were lost some other way, with acknowledged commits in them.
     */
    private static void refuseMissingSegments(Path logDir, long floor, LogRecovery.Recovered recovered) throws CorruptLogException {
        String why = " are missing: retention only ever truncated the log below version " + floor
            + " (" + logDir.resolve(VersionMark.OLDEST.fileName()) + ")";
        if (recovered == null) {
            throw new CorruptLogException(logDir, 0, "segments holding versions " + floor + ".." + why);
        }
        Segment oldest = recovered.segments().get(0);
        if (oldest.firstVersion > floor) {
            throw new CorruptLogException(oldest.path, 0, "segments holding versions " + floor + ".." + (oldest.firstVersion - 1) + why);
        }
    }

    /**
     * The log never deletes its newest segment: one that starts below the newest a roll made durable means the
     * newest segments were lost some other way (an operator, a partial restore), and with them acknowledged commits
     * whose versions would be handed out again.
     */
    private static void refuseMissingNewestSegments(Path logDir, long newestRolled, LogRecovery.Recovered recovered)
            throws CorruptLogException {
        long newest = recovered == null ? 0 : recovered.segments().get(recovered.segments().size() - 1).firstVersion;
        if (newest < newestRolled) {
            Path mark = logDir.resolve(VersionMark.NEWEST_SEGMENT.fileName());
            throw new CorruptLogException(logDir.resolve(LogFormat.fileName(newestRolled)), 0, "missing: the log had rolled to a"
                + " segment starting at version " + newestRolled + " (" + mark + "), so the versions from there on may have"
                + " been acknowledged and would be handed out again. Restore the segment; to start without it anyway"
                + " (losing what it held), delete " + mark);
        }
    }
}
