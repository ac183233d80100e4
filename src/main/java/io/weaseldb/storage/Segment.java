package io.weaseldb.storage;

import java.nio.file.Path;

/** One segment file as the log knows it. Immutable except for its index, which the writer extends. */
final class Segment {
    final Path path;
    final long firstVersion;
    final SparseIndex index;

    Segment(Path path, long firstVersion, int indexInterval) {
        this.path = path;
        this.firstVersion = firstVersion;
        this.index = new SparseIndex(firstVersion, indexInterval);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
