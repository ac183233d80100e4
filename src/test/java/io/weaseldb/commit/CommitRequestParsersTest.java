package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommitRequestParsersTest {
    private final CommitRequestParsers registry = CommitRequestParsers.standard(CommitLimits.DEFAULTS);

    @Test
    void jsonIsMatchedByMediaTypeIgnoringCaseAndParameters() {
        for (String contentType : List.of("application/json", "Application/JSON", "application/json; charset=utf-8",
                "application/json;charset=UTF-8", " application/json ", "application/json\t; foo=bar")) {
            assertInstanceOf(JsonCommitRequestParser.class, registry.lookup(contentType), contentType);
        }
    }

    @Test
    void missingOrUnknownContentTypeHasNoParser() {
        assertNull(registry.lookup(null));
        assertNull(registry.lookup(""));
        assertNull(registry.lookup("; charset=utf-8"));
        assertNull(registry.lookup("text/plain"));
        assertNull(registry.lookup("application/jsonx"));
        assertNull(registry.lookup("application/json-seq"));
        assertNull(registry.lookup("application"));
        assertNull(registry.lookup("application/x-weasel-test"));
    }

    @Test
    void eachLookupGetsAFreshParser() {
        CommitRequestParser a = registry.lookup("application/json");
        CommitRequestParser b = registry.lookup("application/json");
        assertEquals(false, a == b);
    }

    @Test
    void registrationIsChecked() {
        assertThrows(IllegalStateException.class, () -> registry.register("APPLICATION/json", ToyParser::new));
        assertThrows(IllegalArgumentException.class, () -> registry.register("json", ToyParser::new));
        assertThrows(IllegalArgumentException.class, () -> registry.register("application/json; q=1", ToyParser::new));
        assertThrows(IllegalArgumentException.class, () -> registry.register("a/b/c", ToyParser::new));
        assertEquals(List.of("application/json"), registry.mediaTypes());
    }

    /** A new wire format plugs in by registration alone; it gets the model's validation for free. */
    @Test
    void aToyFormatCanBeAddedWithoutTouchingTheMainClasses() throws Exception {
        registry.register("application/x-weasel-test", ToyParser::new);
        assertEquals(List.of("application/json", "application/x-weasel-test"), registry.mediaTypes());

        String toy = """
                request_id client-chosen-id-at-least-20-chars
                read_version 1234
                point_read 6b6579 1200
                range_read 61 62
                write 6b6579 76616c7565
                delete 6b6579
                range_delete 61 62
                """;
        String json = """
                {"request_id":"client-chosen-id-at-least-20-chars","read_version":1234,
                 "preconditions":[{"type":"point_read","key":"a2V5","version":1200},{"type":"range_read","begin":"YQ==","end":"Yg=="}],
                 "operations":[{"type":"write","key":"a2V5","value":"dmFsdWU="},{"type":"delete","key":"a2V5"},
                               {"type":"range_delete","begin":"YQ==","end":"Yg=="}]}""";
        ParseHarness.Result fromToy = ParseHarness.parseEveryWay(() -> registry.lookup("application/x-weasel-test; v=1"), toy);
        ParseHarness.Result fromJson = ParseHarness.parseEveryWay(() -> registry.lookup("application/json"), json);
        assertNull(fromToy.error());
        assertEquals(fromJson.request(), fromToy.request());

        // Shared rules and their messages come from the model, not the format.
        assertEquals("operations[0]: begin > end",
                ParseHarness.parseEveryWay(() -> registry.lookup("application/x-weasel-test"), "range_delete 62 61\n").error());
        assertEquals("preconditions[0].version: required when read_version is absent",
                ParseHarness.parseEveryWay(() -> registry.lookup("application/x-weasel-test"), "point_read 61\n").error());
        assertEquals("line 1: unknown directive \"frobnicate\"",
                ParseHarness.parseEveryWay(() -> registry.lookup("application/x-weasel-test"), "frobnicate\n").error());
    }

    /**
     * {@code application/x-weasel-test}: one directive per line, keys in hex. Buffers the body (it is a test
     * format) and builds the request through {@link CommitRequest.Builder}.
     */
    static final class ToyParser implements CommitRequestParser {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        @Override
        public void feed(byte[] buf, int off, int len) {
            body.write(buf, off, len);
        }

        @Override
        public CommitRequest finish() throws CommitRequestException {
            CommitRequest.Builder b = CommitRequest.builder(CommitLimits.DEFAULTS);
            HexFormat hex = HexFormat.of();
            String[] lines = body.toString(StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String[] w = lines[i].trim().split(" ");
                try {
                    switch (w[0]) {
                        case "" -> { }
                        case "request_id" -> b.requestId(w[1]);
                        case "leader_id" -> b.leaderId(w[1]);
                        case "read_version" -> b.readVersion(Long.parseLong(w[1]));
                        case "point_read" -> b.pointRead(hex.parseHex(w[1]), w.length > 2, w.length > 2 ? Long.parseLong(w[2]) : 0);
                        case "range_read" -> b.rangeRead(hex.parseHex(w[1]), hex.parseHex(w[2]), w.length > 3,
                                w.length > 3 ? Long.parseLong(w[3]) : 0);
                        case "write" -> b.write(hex.parseHex(w[1]), hex.parseHex(w[2]));
                        case "delete" -> b.delete(hex.parseHex(w[1]));
                        case "range_delete" -> b.rangeDelete(hex.parseHex(w[1]), hex.parseHex(w[2]));
                        default -> throw new CommitRequestException("line " + (i + 1) + ": unknown directive \"" + w[0] + "\"");
                    }
                } catch (RuntimeException e) {
                    throw new CommitRequestException("line " + (i + 1) + ": " + e.getMessage());
                }
            }
            return b.build();
        }
    }
}
