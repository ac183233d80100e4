// Subscriber load for WeaselDB's change feed (GET /v1/subscribe): N live SSE subscriptions, each checked
// for gap-free, duplicate-free version order, plus an end-to-end latency probe (commit ack -> event arrival).
//
//   java bench/SubscriberLoad.java --port 8080 --subscribers 1000 [--host 127.0.0.1] [--sample 20]
//
// JDK 21+ source launcher, no dependencies. At start it reads the latest version V0 (GET /v1/version) and
// opens every subscription with ?after_version=V0, so each subscriber must receive exactly V0+1, V0+2, ...
// (a commit landing while the subscriptions open is replayed, not missed). One virtual thread per
// subscription reads its socket in 64 KiB blocks and parses the stream without allocating (the rest of
// each data line is skipped 8 bytes at a time): every "id: v" line must be exactly the previous id + 1, and the following "data: {"version":v," must
// repeat it. When all subscriptions have answered 200 it prints "connected <N>" (or "connected <k> failed
// <m>"), then executes commands read from stdin, one per line, printing one result line for each:
//
//   check V [timeout_s]   wait (default 60 s) until every live subscriber has received version V, then
//                         CHECK target=V since=V0 subscribers=N live=.. events=.. expected=N*(V-V0)
//                               violations=.. disconnects=.. behind=.. ok=true|false
//   latency RATE SECS     from a platform thread, POST /v1/commit RATE times a second for SECS s over one
//                         keep-alive connection (unique request_id each) and record when each 200 arrived,
//                         by the version in its body; sampled subscribers record when each event arrived
//                         (when the read() that returned its "id:" line returned). latency = arrival - ack,
//                         negative when the event came first. Waits for the sampled subscribers to reach the
//                         last version, then prints
//                         LATENCY rate=.. secs=.. commits=.. errors=.. subscribers=.. sampled=.. samples=..
//                                 missing=.. min_ms=.. p50_ms=.. p99_ms=.. max_ms=..
//                                 commit_p50_ms=.. commit_p99_ms=.. commit_max_ms=.. (request sent -> 200 read)
//                         (with 0 subscribers it opens one for the probe and closes it afterwards)
//   quit (or end of input) close everything, print DONE events=.. violations=.. disconnects=.., exit
//
// Other output: "VIOLATION ..." (the first 20), "DISCONNECT ..." (the first 20) as they happen.
// Example: printf 'latency 50 10\n' | java bench/SubscriberLoad.java --port 8080 --subscribers 100
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.io.OutputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

public final class SubscriberLoad {
    static final int MAX_REPORTED = 20;
    static final AtomicInteger reportedViolations = new AtomicInteger();
    static final AtomicInteger reportedDisconnects = new AtomicInteger();

    final InetSocketAddress address;
    final String hostHeader;
    final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final List<Subscriber> subscribers = new ArrayList<>();
    volatile boolean stopping;

    SubscriberLoad(String host, int port) {
        this.address = new InetSocketAddress(host, port);
        this.hostHeader = host + ":" + port;
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 8080, count = 0, sample = 20, connectTimeoutSec = 60;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--host" -> host = need(a, v);
                case "--port" -> port = Integer.parseInt(need(a, v));
                case "--subscribers" -> count = Integer.parseInt(need(a, v));
                case "--sample" -> sample = Integer.parseInt(need(a, v));
                case "--connect-timeout" -> connectTimeoutSec = Integer.parseInt(need(a, v));
                default -> throw new IllegalArgumentException("unknown option " + a
                    + " (--host H --port P --subscribers N --sample K --connect-timeout S)");
            }
            i++;
        }
        SubscriberLoad load = new SubscriberLoad(host, port);
        long since;
        try (HttpConn c = new HttpConn(load.address, load.hostHeader)) {
            since = c.latestVersion();
        }
        load.open(count, since, Math.min(sample, count), connectTimeoutSec);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.trim().split("\\s+");
            if (w[0].isEmpty()) continue;
            switch (w[0]) {
                case "check" -> System.out.println(load.check(since, Long.parseLong(w[1]), w.length > 2 ? Integer.parseInt(w[2]) : 60));
                case "latency" -> System.out.println(load.latency(Integer.parseInt(w[1]), Integer.parseInt(w[2])));
                case "quit" -> { load.quit(); return; }
                default -> System.out.println("ERROR unknown command: " + line);
            }
            System.out.flush();
        }
        load.quit();
    }

    static String need(String option, String value) {
        if (value == null) throw new IllegalArgumentException(option + " needs a value");
        return value;
    }

    /** Opens {@code count} subscriptions after version {@code since} and waits until each has answered. */
    void open(int count, long since, int sampled, int timeoutSec) throws InterruptedException {
        int stride = sampled == 0 ? Integer.MAX_VALUE : Math.max(1, count / sampled);
        for (int i = 0; i < count; i++) {
            Subscriber s = new Subscriber(this, i, since, i % stride == 0 && i / stride < sampled);
            subscribers.add(s);
            readers.submit(s);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSec);
        while (connected.get() + failed.get() < count && System.nanoTime() - deadline < 0) Thread.sleep(10);
        int f = count - connected.get();
        System.out.println("connected " + connected.get() + (f > 0 ? " failed " + f : ""));
        System.out.flush();
    }

    /** Waits until every subscriber still streaming has received {@code target}, then reports the totals. */
    String check(long since, long target, int timeoutSec) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSec);
        int behind;
        do {
            behind = 0;
            for (Subscriber s : subscribers) if (s.alive && s.delivered < target) behind++;
            if (behind == 0) break;
            Thread.sleep(10);
        } while (System.nanoTime() - deadline < 0);
        long events = 0, violations = 0;
        int live = 0, disconnects = 0;
        for (Subscriber s : subscribers) {
            events += s.events;
            violations += s.violations;
            if (s.alive) live++;
            if (s.disconnected) disconnects++;
        }
        long expected = (long) subscribers.size() * (target - since);
        boolean ok = behind == 0 && violations == 0 && disconnects == 0 && events == expected;
        return "CHECK target=" + target + " since=" + since + " subscribers=" + subscribers.size() + " live=" + live
            + " events=" + events + " expected=" + expected + " violations=" + violations
            + " disconnects=" + disconnects + " behind=" + behind + " ok=" + ok;
    }

    /** Commits at {@code rate}/s for {@code secs} s and measures ack -> event arrival on the sampled subscribers. */
    String latency(int rate, int secs) throws Exception {
        List<Subscriber> probes = new ArrayList<>();
        Subscriber extra = null;
        try (HttpConn c = new HttpConn(address, hostHeader)) {
            long first = c.latestVersion() + 1; // nothing else commits during the probe
            int n = rate * secs;
            if (subscribers.isEmpty()) { // nothing to measure with: one subscriber just for the probe
                extra = new Subscriber(this, -1, first - 1, true);
                readers.submit(extra);
                while (!extra.alive && !extra.disconnected) Thread.sleep(1);
                probes.add(extra);
            } else {
                for (Subscriber s : subscribers) if (s.sampled && s.alive) probes.add(s);
            }
            for (Subscriber s : probes) s.record(first, n);
            long[] ack = new long[n];
            Arrays.fill(ack, Long.MIN_VALUE);
            long[] rtt = new long[n];
            int errors = 0;
            long last = first - 1;
            String tag = HexFormat.of().formatHex(randomBytes(6));
            long period = TimeUnit.SECONDS.toNanos(1) / rate, start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = start + i * period;
                for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
                byte[] request = commitRequest(tag, i);
                long sent = System.nanoTime();
                HttpConn.Response r = c.exchange(request);
                long at = System.nanoTime();
                rtt[i] = at - sent;
                long v = r.status() == 200 ? r.version() : -1;
                if (v < first || v >= first + n) {
                    errors++;
                    continue;
                }
                ack[(int) (v - first)] = at;
                last = Math.max(last, v);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Subscriber s : probes) while (s.alive && s.delivered < last && System.nanoTime() - deadline < 0) Thread.sleep(5);
            long[] lat = new long[n * probes.size()];
            int samples = 0, missing = 0;
            for (Subscriber s : probes) {
                long[] arrived = s.stopRecording();
                for (int i = 0; i < n; i++) {
                    if (ack[i] == Long.MIN_VALUE) continue;
                    if (arrived[i] == Long.MIN_VALUE) missing++;
                    else lat[samples++] = arrived[i] - ack[i];
                }
            }
            Arrays.sort(lat, 0, samples);
            Arrays.sort(rtt);
            return "LATENCY rate=" + rate + " secs=" + secs + " commits=" + (n - errors) + " errors=" + errors
                + " subscribers=" + (extra != null ? 1 : subscribers.size()) + " sampled=" + probes.size()
                + " samples=" + samples + " missing=" + missing
                + " min_ms=" + ms(lat, samples, 0) + " p50_ms=" + ms(lat, samples, 50) + " p99_ms=" + ms(lat, samples, 99)
                + " max_ms=" + ms(lat, samples, 100)
                + " commit_p50_ms=" + ms(rtt, n, 50) + " commit_p99_ms=" + ms(rtt, n, 99) + " commit_max_ms=" + ms(rtt, n, 100);
        } finally {
            if (extra != null) extra.close();
        }
    }

    /** Nearest-rank percentile of the first {@code n} sorted nanosecond values, in ms. */
    static String ms(long[] sorted, int n, int pct) {
        if (n == 0) return "-";
        int i = pct == 0 ? 0 : Math.min(n - 1, (int) Math.ceil(pct / 100.0 * n) - 1);
        return String.format("%.3f", sorted[i] / 1e6);
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** A commit shaped like bench/commit.lua's (3 writes on keys unique to the request), no preconditions. */
    byte[] commitRequest(String tag, int i) {
        String n = String.format("%010d", i);
        String body = "{\"request_id\":\"latency-" + tag + "-" + n + "\",\"operations\":["
            + "{\"type\":\"write\",\"key\":\"" + b64("acct/" + tag + "/" + n + "/from") + "\",\"value\":\"" + b64("{\"amount\":9950,\"currency\":\"USD\",\"v\":7}") + "\"},"
            + "{\"type\":\"write\",\"key\":\"" + b64("acct/" + tag + "/" + n + "/to") + "\",\"value\":\"" + b64("{\"amount\":10050,\"currency\":\"USD\",\"v\":12}") + "\"},"
            + "{\"type\":\"write\",\"key\":\"" + b64("txlog/" + tag + "/" + n) + "\",\"value\":\"" + b64("transfer 50 USD from A to B, memo: rent 11/26") + "\"}]}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/commit HTTP/1.1\r\nHost: " + hostHeader + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] req = Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, req, h.length, b.length);
        return req;
    }

    static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    void quit() {
        stopping = true;
        for (Subscriber s : subscribers) s.close();
        readers.close(); // waits for every reader to end
        long events = 0, violations = 0;
        int disconnects = 0;
        for (Subscriber s : subscribers) {
            events += s.events;
            violations += s.violations;
            if (s.disconnected) disconnects++;
        }
        System.out.println("DONE events=" + events + " violations=" + violations + " disconnects=" + disconnects);
        System.out.flush();
    }

    /**
     * One subscription. Only its reader thread writes the counters; {@link #delivered} (volatile) is published
     * once per read() block, and the plain counters are read by the main thread after it saw {@code delivered}
     * (or after the reader ended), so the volatile read orders them.
     */
    static final class Subscriber implements Runnable {
        private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] DATA = "data: {\"version\":".getBytes(StandardCharsets.US_ASCII);
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final int AT_LINE_START = 0, IN_ID_PREFIX = 1, IN_ID = 2, IN_DATA_PREFIX = 3, IN_DATA_VERSION = 4, SKIP_LINE = 5;

        final SubscriberLoad load;
        final int index;
        final long since;
        final boolean sampled;
        private volatile Socket socket;
        private volatile boolean closing;

        volatile boolean alive;
        volatile boolean disconnected;
        volatile long delivered;
        long events;
        long violations;

        // parser state (reader thread only)
        private long expect;
        private long lastId = -1;
        private int state = AT_LINE_START;
        private int matched;
        private long number;
        private boolean digits;

        // arrival times while a latency probe runs: arrivals[v - recordFrom]
        private volatile long[] arrivals;
        private long recordFrom;

        Subscriber(SubscriberLoad load, int index, long since, boolean sampled) {
            this.load = load;
            this.index = index;
            this.since = since;
            this.sampled = sampled;
            this.expect = since + 1;
            this.delivered = since;
        }

        void record(long from, int n) {
            long[] a = new long[n];
            Arrays.fill(a, Long.MIN_VALUE);
            recordFrom = from; // published by the volatile write below
            arrivals = a;
        }

        long[] stopRecording() {
            long[] a = arrivals;
            arrivals = null;
            return a;
        }

        void close() {
            closing = true;
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        @Override
        public void run() {
            byte[] buf = new byte[64 * 1024];
            boolean answered = false;
            try (Socket s = new Socket()) {
                socket = s;
                if (closing) return;
                s.connect(load.address, 30_000);
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                out.write(("GET /v1/subscribe?after_version=" + since + " HTTP/1.1\r\nHost: " + load.hostHeader
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                int len = 0, headEnd;
                while ((headEnd = headEnd(buf, len)) < 0) {
                    int r = in.read(buf, len, buf.length - len);
                    if (r < 0) throw new IOException("connection closed before the response head");
                    len += r;
                }
                String statusLine = new String(buf, 0, indexOf(buf, 0, len, (byte) '\r'), StandardCharsets.US_ASCII);
                if (!statusLine.startsWith("HTTP/1.1 200")) {
                    throw new IOException("answered \"" + statusLine + "\"");
                }
                answered = true;
                alive = true;
                load.connected.incrementAndGet();
                long now = System.nanoTime();
                parse(buf, headEnd, len, now);
                delivered = lastId < 0 ? since : lastId;
                for (int r; (r = in.read(buf)) >= 0; ) {
                    parse(buf, 0, r, System.nanoTime());
                    delivered = lastId < 0 ? since : lastId; // publishes the counters
                }
                throw new IOException("server closed the stream");
            } catch (IOException e) {
                if (!answered) load.failed.incrementAndGet();
                if (!closing) {
                    disconnected = true;
                    if (reportedDisconnects.incrementAndGet() <= MAX_REPORTED) {
                        System.out.println("DISCONNECT subscriber " + index + " after version " + delivered + ": " + e.getMessage());
                    }
                }
            } finally {
                alive = false;
                socket = null;
            }
        }

        /** Parses stream bytes [from, to) that arrived at {@code now} (nanoTime). */
        private void parse(byte[] b, int from, int to, long now) {
            int p = from;
            while (p < to) {
                switch (state) {
                    case SKIP_LINE -> {
                        p = indexOfNewline(b, p, to);
                        if (p < to) {
                            p++;
                            state = AT_LINE_START;
                        }
                    }
                    case AT_LINE_START -> {
                        byte c = b[p++];
                        if (c == 'i') {
                            state = IN_ID_PREFIX;
                            matched = 1;
                        } else if (c == 'd') {
                            state = IN_DATA_PREFIX;
                            matched = 1;
                        } else if (c != '\n') {
                            state = SKIP_LINE;
                        }
                    }
                    case IN_ID_PREFIX, IN_DATA_PREFIX -> {
                        byte[] prefix = state == IN_ID_PREFIX ? ID : DATA;
                        byte c = b[p++];
                        if (c != prefix[matched]) {
                            state = c == '\n' ? AT_LINE_START : SKIP_LINE;
                        } else if (++matched == prefix.length) {
                            state = state == IN_ID_PREFIX ? IN_ID : IN_DATA_VERSION;
                            number = 0;
                            digits = false;
                        }
                    }
                    case IN_ID, IN_DATA_VERSION -> {
                        byte c = b[p++];
                        if (c >= '0' && c <= '9') {
                            number = number * 10 + (c - '0');
                            digits = true;
                            continue;
                        }
                        if (state == IN_ID) {
                            if (c == '\n' && digits) onId(number, now);
                            else violation("malformed id line");
                        } else if (!digits || number != lastId) {
                            violation("data version " + (digits ? number : "missing") + " under id " + lastId);
                        }
                        state = c == '\n' ? AT_LINE_START : SKIP_LINE;
                    }
                    default -> throw new IllegalStateException("parser state " + state);
                }
            }
        }

        private void onId(long v, long now) {
            if (v != expect) violation(v > expect ? "gap: id " + v + " where " + expect + " was expected"
                                                  : "duplicate or reordered: id " + v + " where " + expect + " was expected");
            expect = v + 1;
            lastId = v;
            events++;
            long[] a = arrivals;
            if (a != null) {
                long i = v - recordFrom;
                if (i >= 0 && i < a.length) a[(int) i] = now;
            }
        }

        private void violation(String what) {
            violations++;
            if (reportedViolations.incrementAndGet() <= MAX_REPORTED) {
                System.out.println("VIOLATION subscriber " + index + ": " + what);
            }
        }

        /**
         * Index of the first '\n' in b[p, to), or {@code to}. Eight bytes at a time (SWAR): the data lines are
         * nearly all of the stream, and a byte loop over them would make the client cost more than the server.
         */
        private static int indexOfNewline(byte[] b, int p, int to) {
            for (; p + 8 <= to; p += 8) {
                long x = (long) LONGS.get(b, p) ^ 0x0A0A0A0A0A0A0A0AL; // '\n' bytes become zero
                long zeros = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L; // lowest set bit marks the first
                if (zeros != 0) return p + (Long.numberOfTrailingZeros(zeros) >>> 3);
            }
            while (p < to && b[p] != '\n') p++;
            return p;
        }

        /** Index just past "\r\n\r\n" in b[0, len), or -1. */
        private static int headEnd(byte[] b, int len) {
            for (int i = 3; i < len; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') return i + 1;
            }
            return -1;
        }

        private static int indexOf(byte[] b, int from, int to, byte x) {
            for (int i = from; i < to; i++) if (b[i] == x) return i;
            return to;
        }
    }

    /** A minimal blocking HTTP/1.1 client on one keep-alive connection (Content-Length bodies only). */
    static final class HttpConn implements AutoCloseable {
        record Response(int status, String body) {
            long version() {
                int i = body.indexOf("\"version\":");
                if (i < 0) return -1;
                int p = i + 10, q = p;
                while (q < body.length() && Character.isDigit(body.charAt(q))) q++;
                return q > p ? Long.parseLong(body.substring(p, q)) : -1;
            }
        }

        private final Socket socket = new Socket();
        private final String host;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] buf = new byte[16 * 1024];
        private int start, end;

        HttpConn(InetSocketAddress address, String host) throws IOException {
            this.host = host;
            socket.connect(address, 30_000);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = socket.getInputStream();
        }

        long latestVersion() throws IOException {
            Response r = exchange(("GET /v1/version HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            if (r.status() != 200 || r.version() < 0) throw new IOException("GET /v1/version answered " + r.status() + " " + r.body());
            return r.version();
        }

        Response exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            int headEnd;
            while ((headEnd = findHeadEnd()) < 0) fill();
            String head = new String(buf, start, headEnd - start, StandardCharsets.ISO_8859_1);
            start = headEnd;
            int status = Integer.parseInt(head.substring(9, 12));
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(line.substring(15).trim());
            }
            while (end - start < length) fill();
            String body = new String(buf, start, length, StandardCharsets.UTF_8);
            start += length;
            return new Response(status, body);
        }

        private int findHeadEnd() {
            for (int i = start + 3; i < end; i++) {
                if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return i + 1;
            }
            return -1;
        }

        private void fill() throws IOException {
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buf.length) throw new IOException("response larger than " + buf.length + " bytes");
            int r = in.read(buf, end, buf.length - end);
            if (r < 0) throw new IOException("connection closed mid-response");
            end += r;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
