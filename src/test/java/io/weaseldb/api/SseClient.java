package io.weaseldb.api;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal Server-Sent-Events client over a plain socket: sends one GET, reads the response head, then parses
 * events (id/event/data fields up to a blank line) and counts comment lines.
 */
public final class SseClient implements AutoCloseable {
    public record Event(long id, String type, String data) { }

    final Socket socket;
    private final InputStream in;
    public int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    /** Comment lines seen (": keepalive"); read by other test threads. */
    volatile int comments;

    private SseClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    }

    /** Connects and sends {@code GET target} with extra header lines (each "Name: value"). */
    public static SseClient open(int port, String target, String... headerLines) throws IOException {
        return open(port, 0, target, headerLines);
    }

    /** As {@link #open(int, String, String...)} with a small receive buffer when {@code receiveBuffer} &gt; 0 (a client that reads slowly). */
    static SseClient open(int port, int receiveBuffer, String target, String... headerLines) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer); // before connect, so the window is small from the start
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(10_000);
        StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
        for (String h : headerLines) req.append(h).append("\r\n");
        req.append("\r\n");
        s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        SseClient c = new SseClient(s);
        c.readHead();
        return c;
    }

    private void readHead() throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
        }
    }

    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The rest of a non-stream response (by Content-Length). */
    String body() throws IOException {
        String cl = header("Content-Length");
        return new String(in.readNBytes(Integer.parseInt(cl)), StandardCharsets.UTF_8);
    }

    /** The next event, or null at end of stream. Comment lines are counted and skipped. */
    public Event next() throws IOException {
        long id = -1;
        String type = null;
        StringBuilder data = null;
        while (true) {
            String l = line();
            if (l == null) return null;
            if (l.isEmpty()) {
                if (data != null || type != null || id >= 0) return new Event(id, type, data == null ? null : data.toString());
                continue;
            }
            if (l.startsWith(":")) {
                comments++;
                continue;
            }
            int colon = l.indexOf(':');
            String field = colon < 0 ? l : l.substring(0, colon);
            String value = colon < 0 ? "" : l.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            switch (field) {
                case "id" -> id = Long.parseLong(value);
                case "event" -> type = value;
                case "data" -> {
                    if (data == null) data = new StringBuilder();
                    else data.append('\n');
                    data.append(value);
                }
                default -> throw new IOException("unexpected SSE field: " + l);
            }
        }
    }

    /** True when the server ends the stream (EOF or reset) before the read timeout. */
    boolean endsStream() throws IOException {
        try {
            while (next() != null) {
                // drain what was still in flight
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** A line without its LF (SSE lines end with LF here; HTTP head lines with CRLF). */
    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] a = b.toByteArray();
                int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                return new String(a, 0, n, StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
