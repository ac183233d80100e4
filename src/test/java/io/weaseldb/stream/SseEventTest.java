package io.weaseldb.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.weaseldb.storage.LogRecord;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseEventTest {
    private static String render(long v, String rid, String payload) {
        return new String(SseEvent.render(new LogRecord(v, rid, 0, payload.getBytes(StandardCharsets.UTF_8))), StandardCharsets.UTF_8);
    }

    @Test
    void rendersTheEventWithThePayloadVerbatim() {
        assertEquals("id: 1235\nevent: commit\ndata: {\"version\":1235,\"request_id\":\"abc\",\"operations\":"
                + "[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]}\n\n",
            render(1235, "abc", "[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"}]"));
    }

    @Test
    void escapesTheRequestIdAndKeepsTheDataOnOneLine() {
        assertEquals("id: 7\nevent: commit\ndata: {\"version\":7,\"request_id\":\"q\\\"b\\\\s\\n\\u0001é\",\"operations\":[  {} ]}\n\n",
            render(7, "q\"b\\s\n\u0001é", "[\r\n{} ]"));
        assertEquals("id: 8\nevent: commit\ndata: {\"version\":8,\"request_id\":\"\",\"operations\":[]}\n\n", render(8, "", ""));
    }

    /** The feed's offsets come from length() before anything is rendered: it must equal what bytes() renders. */
    @Test
    void theLengthKnownBeforeRenderingIsTheRenderedLength() {
        String[][] cases = {{"abc", "[{\"type\":\"delete\",\"key\":\"a2V5\"}]"}, {"q\"b\\s\n\u0001é€😀", "[\r\n{} ]"},
            {"", ""}, {"x".repeat(300), "[]"}};
        for (long v : new long[] {0, 1, 9, 10, 99_999, Long.MAX_VALUE}) {
            for (String[] c : cases) {
                LogRecord r = new LogRecord(v, c[0], 0, c[1].getBytes(StandardCharsets.UTF_8));
                SseEvent e = new SseEvent(r, 1000);
                byte[] bytes = e.bytes();
                assertEquals(SseEvent.render(r).length, e.length, c[0]);
                assertEquals(e.length, bytes.length, c[0]);
                assertEquals(1000 + bytes.length, e.end());
                assertSame(bytes, e.bytes(), "rendered once, then shared");
            }
        }
    }
}
