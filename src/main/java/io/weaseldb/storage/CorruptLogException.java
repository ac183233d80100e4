package io.weaseldb.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The log on disk is damaged somewhere other than a torn tail, so the server must not start on it: silently
 * dropping the damaged part could drop acknowledged commits. The message names the file, the byte offset and
 * what was found there.
 */
public final class CorruptLogException extends IOException {
    private final Path file;
    private final long offset;

    public CorruptLogException(Path file, long offset, String problem) {
        this("commit log", file, offset, problem);
    }

    /** @param what the damaged store, e.g. "ban journal" */
    public CorruptLogException(String what, Path file, long offset, String problem) {
        super("corrupt " + what + ": " + file + " at byte offset " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    public Path file() { return file; }

    public long offset() { return offset; }
}
