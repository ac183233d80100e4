package io.weaseldb.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Request parsing throughput: a typical browser-ish GET head (~300 B) and a 1 KB POST (head + Content-Length
 * body through {@link BodyDecoder}), each arriving in one read as they usually do.
 *
 * <p>Scores are requests/s. The {@code bytes} secondary result (an {@link AuxCounters} operations counter)
 * is input bytes/s, so MB/s = {@code bytes} score / 1e6 (equivalently bytes per op × ops/s; the sizes are
 * {@link #GET_BYTES} and {@link #POST_BYTES}).
 *
 * <pre>
 * ./mvnw -q test-compile &amp;&amp; ./mvnw -q dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp "target/test-classes:target/classes:$(cat cp.txt)" org.openjdk.jmh.Main ParserBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ParserBenchmark {
    static final byte[] GET = ("GET /v1/status?commit_version=1234567&timeout=30 HTTP/1.1\r\n"
            + "Host: weaseldb.example.com:8080\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: application/json, text/plain, */*\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br\r\n"
            + "Connection: keep-alive\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);
    static final byte[] POST = post();
    static final int GET_BYTES = GET.length;
    static final int POST_BYTES = POST.length;

    private static byte[] post() {
        String head = "POST /v1/commit HTTP/1.1\r\n"
                + "Host: weaseldb.example.com:8080\r\n"
                + "User-Agent: weaseldb-client/1.0\r\n"
                + "Content-Type: application/json\r\n"
                + "Accept: application/json\r\n"
                + "Content-Length: %d\r\n"
                + "\r\n";
        int headLength = String.format(head, 1000).length();
        int bodyLength = 1024 - headLength;
        StringBuilder body = new StringBuilder("{\"request_id\":\"bench\",\"operations\":[");
        while (body.length() < bodyLength - 2) body.append('x');
        body.append("]}");
        return (String.format(head, bodyLength) + body).getBytes(StandardCharsets.US_ASCII);
    }

    /** Input bytes processed, reported by JMH as a rate (bytes/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void clear() {
            bytes = 0;
        }
    }

    private final RequestParser parser = new RequestParser(HttpLimits.DEFAULT);
    private final BodyDecoder decoder = new BodyDecoder(HttpLimits.DEFAULT);
    private long sunk;
    private final BodySink sink = (buf, off, len) -> sunk += buf[off] + len;

    @Benchmark
    public int getHead(Bytes counter) throws HttpException {
        parser.reset();
        int end = parser.parseHead(GET, 0, GET.length);
        counter.bytes += end;
        return end + parser.head().headerCount();
    }

    @Benchmark
    public long postWithBody(Bytes counter) throws HttpException {
        parser.reset();
        int headEnd = parser.parseHead(POST, 0, POST.length);
        decoder.reset(parser.head());
        int consumed = decoder.decode(POST, headEnd, POST.length, sink);
        counter.bytes += headEnd + consumed;
        return sunk + decoder.bodyBytes();
    }
}
