package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.http.HttpLimits;
import io.weaseldb.http.RequestParser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The read-side arena over a real loopback socket: offsets survive growth, buffers go back exactly once. */
class InputBufferTest {
    private static final int LARGE = 3 * NetServer.SMALL_BUFFER_BYTES;
    private final BufferPool small = new BufferPool(NetServer.SMALL_BUFFER_BYTES, 8);
    private final BufferPool large = new BufferPool(LARGE, 8);
    private final InputBuffer input = new InputBuffer(small, large);
    private final RequestParser parser = new RequestParser(new HttpLimits(1024, 2048, 1 << 20, 100));
    private ServerSocketChannel listener;
    private SocketChannel client;
    private SocketChannel server;

    @BeforeEach
    void connect() throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = SocketChannel.open(listener.getLocalAddress());
        server = listener.accept();
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
        listener.close();
    }

    /** Sends {@code n} bytes and reads them into the input (the server side blocks until they are there). */
    private byte[] sendAndRead(int n, int fill) throws IOException {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) fill);
        client.write(ByteBuffer.wrap(b));
        int got = 0;
        while (got < n) got += input.readAvailable(server);
        return b;
    }

    @Test
    void readsAppendAndConsumptionMovesTheStart() throws IOException {
        sendAndRead(100, 'a');
        sendAndRead(50, 'b');
        assertEquals(0, input.start());
        assertEquals(150, input.end());
        assertEquals('b', input.array()[149]);
        input.consumeTo(120);
        assertTrue(input.hasUnconsumed());
        input.consumeTo(150);
        assertFalse(input.hasUnconsumed());
    }

    @Test
    void growingKeepsEveryOffsetAndGivesTheSmallBufferBack() throws IOException {
        sendAndRead(300, 'x');
        input.consumeTo(200);
        byte[] smallArray = input.array();
        byte[] before = Arrays.copyOf(smallArray, 300);
        input.grow(parser);
        assertTrue(input.isLarge());
        assertEquals(200, input.start());
        assertEquals(300, input.end());
        assertArrayEquals(before, Arrays.copyOf(input.array(), 300));
        assertSame(smallArray, small.acquire().array, "the small buffer went back to its pool");
    }

    @Test
    void anEmptyLargeBufferGoesBackBetweenRequestsAndASmallOneStays() throws IOException {
        sendAndRead(10, 'a');
        byte[] smallArray = input.array();
        input.consumeTo(10);
        input.restartEmpty();
        assertEquals(0, input.end());
        sendAndRead(10, 'b');
        assertSame(smallArray, input.array(), "a busy connection keeps its small buffer");

        input.grow(parser);
        byte[] largeArray = input.array();
        input.consumeTo(input.end());
        input.restartEmpty();
        assertSame(largeArray, large.acquire().array, "the large buffer went back to its pool");
        sendAndRead(10, 'c');
        assertEquals(NetServer.SMALL_BUFFER_BYTES, input.array().length);
    }

    @Test
    void headRoomIsMadeOnlyInALargeBufferNearItsEnd() throws IOException {
        sendAndRead(4000, 'a');
        input.consumeTo(3990);
        input.makeHeadRoom(2048);
        assertEquals(3990, input.start(), "a small buffer is never compacted: a head that fills it moves");
        input.grow(parser);
        sendAndRead(LARGE - 4000, 'b');
        input.consumeTo(LARGE - 10);
        input.makeHeadRoom(2048);
        assertEquals(0, input.start());
        assertEquals(10, input.end());
        assertEquals('b', input.array()[9]);
    }

    @Test
    void aDecodedBodyFreesTheSpaceAfterTheHead() throws IOException {
        sendAndRead(NetServer.SMALL_BUFFER_BYTES, 'h'); // head [0, 100), body after it, buffer full
        byte[] a = input.array();
        a[3000] = 'r';
        assertEquals(100, input.reclaimBody(100, 3000), "the unread rest moves to just after the head");
        assertEquals(100 + NetServer.SMALL_BUFFER_BYTES - 3000, input.end());
        assertEquals('r', a[100]);
        assertEquals(100, input.reclaimBody(100, input.end()), "all decoded: the space after the head is free");
        assertEquals(100, input.end());
        sendAndRead(200, 'n');
        assertEquals(150, input.reclaimBody(100, 150), "room left and bytes unread: nothing moves");
        assertEquals(300, input.end());
    }

    @Test
    void theIdleReleaseAndTheCloseGiveTheBufferBackOnce() throws IOException {
        sendAndRead(10, 'a');
        byte[] smallArray = input.array();
        input.releaseIfIdle();
        input.release();
        input.releaseIfIdle();
        assertSame(smallArray, small.acquire().array);
        assertNotSame(smallArray, small.acquire().array, "given back once, not twice");
    }
}
