package io.weaseldb.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
