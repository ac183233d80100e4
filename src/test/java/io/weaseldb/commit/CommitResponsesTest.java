package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CommitResponsesTest {
    private static String s(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Test
    void bodiesMatchTheApi() {
        assertEquals("{\"status\":\"committed\",\"version\":1235,\"request_id\":\"r\",\"leader_id\":\"l\"}",
                s(CommitResponses.committed(1235, "r", "l")));
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"conflict\",\"request_id\":\"r\",\"conflicts\":[0,2]}",
                s(CommitResponses.conflict("r", new int[] {0, 2})));
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"leader_mismatch\",\"leader_id\":\"cur\"}",
                s(CommitResponses.leaderMismatch("cur")));
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"read_version_too_old\",\"oldest_version\":77}",
                s(CommitResponses.readVersionTooOld(77)));
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"request_id_banned\",\"request_id\":\"r\"}",
                s(CommitResponses.requestIdBanned("r")));
        assertEquals("{\"request_id\":\"ID\",\"status\":\"committed\",\"version\":9}",
                s(CommitResponses.status("ID", RequestStatus.committed(9))));
        assertEquals("{\"request_id\":\"ID\",\"status\":\"not_committed\"}", s(CommitResponses.status("ID", RequestStatus.NOT_COMMITTED)));
        assertEquals("{\"request_id\":\"ID\",\"status\":\"log_truncated\"}", s(CommitResponses.status("ID", RequestStatus.LOG_TRUNCATED)));
        assertEquals("{\"error\":\"bad_request\",\"message\":\"operations[2].value: invalid base64\"}",
                s(CommitResponses.badRequest("operations[2].value: invalid base64")));
        assertEquals("{\"version\":123456,\"leader_id\":\"l\"}", s(CommitResponses.version(123456, "l")));
    }

    @Test
    void stringsAreEscaped() {
        assertEquals("{\"error\":\"bad_request\",\"message\":\"\\\"x\\\\y\\\"\\n\\u0000: unknown field\"}",
                s(CommitResponses.badRequest("\"x\\y\"\n\u0000: unknown field")));
        // The committed answer's own fast path: plain ids copied, others escaped; every digit count of a version.
        assertEquals("{\"status\":\"committed\",\"version\":0,\"request_id\":\"a\\\"b\\\\é\\u001F\",\"leader_id\":\"L~\"}",
                s(CommitResponses.committed(0, "a\"b\\é\u001f", "L~")));
        for (long v = 1; v > 0 && v < Long.MAX_VALUE / 10 * 10; v = v * 10 + 9) {
            assertEquals("{\"status\":\"committed\",\"version\":" + v + ",\"request_id\":\"id\",\"leader_id\":\"l\"}",
                    s(CommitResponses.committed(v, "id", "l")));
        }
        assertEquals("{\"status\":\"committed\",\"version\":" + Long.MAX_VALUE + ",\"request_id\":\"\",\"leader_id\":\"l\"}",
                s(CommitResponses.committed(Long.MAX_VALUE, "", "l")));
    }

    /** A character beyond the BMP is sent as its UTF-8 bytes by every answer, as by the committed one. */
    @Test
    void everyAnswerSendsAnEmojiTheSameWay() {
        String id = "id-\ud83d\ude00";
        String committed = s(CommitResponses.committed(1, id, "l"));
        assertEquals("{\"status\":\"committed\",\"version\":1,\"request_id\":\"" + id + "\",\"leader_id\":\"l\"}", committed);
        assertEquals("{\"status\":\"not_committed\",\"reason\":\"request_id_banned\",\"request_id\":\"" + id + "\"}",
                s(CommitResponses.requestIdBanned(id)));
    }
}
