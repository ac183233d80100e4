package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OperationsCodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void encodesExactlyTheApiShape() {
        List<Operation> ops = List.of(Operation.write(b("key"), b("value")), Operation.delete(b("key")),
                Operation.rangeDelete(b("a"), b("b")), Operation.write(new byte[0], new byte[] {(byte) 0xFB, (byte) 0xFF}));
        assertEquals("[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"},{\"type\":\"delete\",\"key\":\"a2V5\"},"
                + "{\"type\":\"range_delete\",\"begin\":\"YQ==\",\"end\":\"Yg==\"},{\"type\":\"write\",\"key\":\"\",\"value\":\"+/8=\"}]",
                new String(OperationsCodec.encodeJson(ops), StandardCharsets.UTF_8));
        assertEquals("[]", new String(OperationsCodec.encodeJson(List.of()), StandardCharsets.UTF_8));
    }

    @Test
    void base64IsTheStandardPaddedAlphabetForEveryLength() {
        Random random = new Random(11);
        java.util.Base64.Encoder std = java.util.Base64.getEncoder();
        for (int len = 0; len < 64; len++) {
            byte[] k = new byte[len];
            byte[] v = new byte[(len * 7) % 50];
            random.nextBytes(k);
            random.nextBytes(v);
            assertEquals("[{\"type\":\"write\",\"key\":\"" + std.encodeToString(k) + "\",\"value\":\"" + std.encodeToString(v) + "\"}]",
                new String(OperationsCodec.encodeJson(List.of(Operation.write(k, v))), StandardCharsets.US_ASCII), "length " + len);
        }
    }

    @Test
    void roundTripsRandomOperations() throws IOException {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<Operation> ops = new ArrayList<>();
            for (int i = random.nextInt(12); i > 0; i--) {
                byte[] k = new byte[random.nextInt(40)];  // range bounds use k and v (≤ 300 bytes), within the 1000-byte limit
                byte[] v = new byte[random.nextInt(300)];
                random.nextBytes(k);
                random.nextBytes(v);
                ops.add(switch (random.nextInt(3)) {
                    case 0 -> Operation.write(k, v);
                    case 1 -> Operation.delete(k);
                    default -> java.util.Arrays.compareUnsigned(k, v) <= 0 ? Operation.rangeDelete(k, v) : Operation.rangeDelete(v, k);
                });
            }
            byte[] payload = OperationsCodec.encodeJson(ops);
            assertEquals(ops, OperationsCodec.decodeJson(payload));
            // The payload is also a valid "operations" field of a commit request, which parses to the same operations.
            byte[] request = ("{\"operations\":" + new String(payload, StandardCharsets.UTF_8) + "}").getBytes(StandardCharsets.UTF_8);
            CommitRequestParser parser = new JsonCommitRequestParser(new CommitLimits(1000, 1000, 20));
            parser.feed(request, 0, request.length);
            try {
                assertEquals(ops, parser.finish().operations());
            } catch (CommitRequestException e) {
                throw new AssertionError(e.getMessage());
            }
        }
    }

    @Test
    void corruptPayloadsAreReportedNotMisread() {
        for (String bad : List.of("", "{}", "[{\"type\":\"write\",\"key\":\"YQ==\"}]", "[{\"type\":\"nope\",\"key\":\"YQ==\"}]",
                "[{\"type\":\"delete\",\"key\":\"YQ\"}]", "[{\"type\":\"delete\",\"key\":\"YQ==\",\"x\":\"\"}]", "[] []",
                "[{\"type\":\"delete\",\"key\":\"YQ==\"}", "[{\"type\":\"range_delete\",\"begin\":\"YQ==\"}]")) {
            IOException e = assertThrows(IOException.class, () -> OperationsCodec.decodeJson(b(bad)), bad);
            assertTrue(e.getMessage().contains("operations payload") || e.getMessage().contains("end-of-input"), e.getMessage());
        }
    }
}
