package io.weaseldb.metrics;

import static io.weaseldb.metrics.MetricsTestSupport.array;
import static io.weaseldb.metrics.MetricsTestSupport.get;
import static io.weaseldb.metrics.MetricsTestSupport.object;
import static io.weaseldb.metrics.MetricsTestSupport.parseJson;
import static io.weaseldb.metrics.MetricsTestSupport.readQuietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.weaseldb.server.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's 2.42, a child process on a free loopback port) scrapes a running server
 * every second: the target must come up (Prometheus negotiates OpenMetrics, so this also proves its
 * parser accepts our OpenMetrics output) and the request counter it stores must follow our traffic.
 */
class PrometheusScrapeTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String OK_REQUESTS = "sum(weaseldb_http_requests_total{route=\"/ok\"})";

    @TempDir
    static Path tmp;

    static TestServer srv;
    static Process prometheus;
    static Path prometheusLog;
    static String prometheusUrl;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        String binary = PromtoolCheckTest.findExecutable("prometheus");
        srv = TestServer.start();
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: weaseldb
                static_configs:
                  - targets: ["127.0.0.1:%d"]
            """.formatted(srv.port));
        int port = freePort();
        prometheusUrl = "http://127.0.0.1:" + port;
        prometheusLog = tmp.resolve("prometheus.log");
        prometheus = new ProcessBuilder(binary, "--config.file=" + config,
                "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(prometheusLog.toFile())
            .start();
        await(() -> "Prometheus /-/ready on " + prometheusUrl, () -> {
            if (!prometheus.isAlive()) fail("prometheus exited with " + prometheus.exitValue() + ":\n" + readQuietly(prometheusLog));
            try {
                return http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false; // not listening yet
            }
        });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        try {
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                    prometheus.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            if (srv != null) srv.close();
        }
    }

    @Test
    void prometheusScrapesTheServerAndSeesRequestsCounted() throws Exception {
        String[] lastSeen = {"not listed yet"};
        await(() -> "target 127.0.0.1:" + srv.port + " health \"up\" (last seen: " + lastSeen[0] + ")", () -> {
            lastSeen[0] = targetState();
            return lastSeen[0].startsWith("up");
        });

        double before = okRequests();
        int sent = 5;
        for (int i = 0; i < sent; i++) assertEquals(200, get(srv.port, "/ok").status());

        double[] now = {before};
        await(() -> OK_REQUESTS + " >= " + (before + sent) + " (before: " + before + ", last seen: " + now[0] + ")", () -> {
            now[0] = okRequests();
            return now[0] >= before + sent;
        });
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Our target in /api/v1/targets as "health lastError" ("up", "unknown", "down: <why>"). A failed scrape is
     * not fatal at once (a loaded machine may miss one 1 s timeout); the deadline message shows the last error.
     */
    private static String targetState() throws Exception {
        Map<String, Object> data = api("/api/v1/targets");
        for (Object t : array(data.get("activeTargets"))) {
            Map<String, Object> target = object(t);
            if (!("127.0.0.1:" + srv.port).equals(object(target.get("labels")).get("instance"))) continue;
            String lastError = (String) target.get("lastError");
            return target.get("health") + (lastError == null || lastError.isEmpty() ? "" : ": " + lastError);
        }
        return "not listed yet";
    }

    /** The instant value of {@link #OK_REQUESTS}; 0 while there is no such series yet. */
    private static double okRequests() throws Exception {
        Map<String, Object> data = api("/api/v1/query?query=" + URLEncoder.encode(OK_REQUESTS, StandardCharsets.UTF_8));
        List<Object> result = array(data.get("result"));
        if (result.isEmpty()) return 0;
        List<Object> value = array(object(result.get(0)).get("value")); // [ <unix time>, "<value>" ]
        return Double.parseDouble((String) value.get(1));
    }

    /** GET a Prometheus API path; returns its {@code data} after checking {@code status == success}. */
    private static Map<String, Object> api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + pathAndQuery))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Object> body = object(parseJson(r.body()));
        if (r.statusCode() != 200 || !"success".equals(body.get("status"))) {
            fail("Prometheus " + pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
        }
        return object(body.get("data"));
    }

    interface Check {
        boolean holds() throws Exception;
    }

    /** Polls {@code check} until it holds or {@link #DEADLINE} passes; the failure names Prometheus' log. */
    private static void await(Supplier<String> what, Check check) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what.get()
                    + "\n--- prometheus log ---\n" + tail(readQuietly(prometheusLog), 4000));
            }
            Thread.sleep(100); // polling interval of a poll-with-deadline, not a synchronisation
        }
    }

    private static String tail(String s, int chars) {
        return s.length() <= chars ? s : "..." + s.substring(s.length() - chars);
    }

    /** A port free a moment ago; Prometheus failing to bind shows up as its exit in the readiness poll. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
