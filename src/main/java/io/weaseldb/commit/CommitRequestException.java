package io.weaseldb.commit;

/**
 * A commit request that cannot be accepted as sent (HTTP 400). The message names the offending field
 * with its path, e.g. {@code operations[2].value: invalid base64: ...}.
 *
 * <p>Stackless: it reports bad client input, which is routine, not a bug in this process.
 */
public final class CommitRequestException extends Exception {
    public CommitRequestException(String message) {
        super(message, null, false, false);
    }

    /** {@code list[index].field: problem}, or {@code list[index]: problem} when {@code field} is null. */
    static CommitRequestException at(String list, int index, String field, String problem) {
        return new CommitRequestException(path(list, index, field) + ": " + problem);
    }

    static String path(String list, int index, String field) {
        return field == null ? list + "[" + index + "]" : list + "[" + index + "]." + field;
    }

    static CommitRequestException tooLarge(String path, long bytes, int limit) {
        return new CommitRequestException(path + ": " + bytes + " bytes exceeds the limit of " + limit + " bytes");
    }
}
