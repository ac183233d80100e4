package io.weaseldb.api;

import io.weaseldb.commit.CommitPipeline;
import io.weaseldb.commit.CommitRequest;
import io.weaseldb.commit.CommitRequestException;
import io.weaseldb.commit.CommitRequestParser;
import io.weaseldb.commit.CommitRequestParsers;
import io.weaseldb.commit.CommitResponses;
import io.weaseldb.commit.OperationsCodec;
import io.weaseldb.http.Exchange;
import io.weaseldb.http.HttpException;
import io.weaseldb.http.Method;
import io.weaseldb.http.Route;
import io.weaseldb.pipeline.PublishResult;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code POST /v1/commit} and {@code GET /v1/status} (slow path: the commit pipeline) and
 * {@code GET /v1/version} (fast path). The body is parsed on the connection's virtual thread as it arrives,
 * by the parser the Content-Type selects, so the pipeline's threads only decide and persist.
 */
public final class CommitHandlers {
    public static final String PIPELINE = "commit_status";
    private static final String JSON = CommitResponses.CONTENT_TYPE;

    private final CommitPipeline pipeline;
    private final CommitRequestParsers parsers;

    public CommitHandlers(CommitPipeline pipeline, CommitRequestParsers parsers) {
        this.pipeline = pipeline;
        this.parsers = parsers;
    }

    public List<Route> routes() {
        return List.of(
            new Route("/v1/commit", Method.POST, PIPELINE, this::commit),
            new Route("/v1/status", Method.GET, PIPELINE, this::status),
            new Route("/v1/version", Method.GET, null, this::version));
    }

    private void commit(Exchange ex) throws IOException, io.weaseldb.http.HttpException {
        String contentType = ex.request().header("Content-Type");
        Supplier<? extends CommitRequestParser> factory = parsers.factoryFor(contentType);
        if (factory == null) {
            ex.respond(415, JSON, CommitResponses.error("unsupported_media_type",
                (contentType == null ? "Content-Type is missing" : "Content-Type " + contentType + " is not supported")
                    + "; supported: " + String.join(", ", parsers.mediaTypes())));
            return;
        }
        CommitRequest request;
        try (CommitRequestParser parser = factory.get()) {
            ex.readBody(parser::feed);
            request = parser.finish();
        } catch (CommitRequestException e) {
            ex.respond(400, JSON, CommitResponses.badRequest(e.getMessage()));
            return;
        }
        byte[] payload = OperationsCodec.encodeJson(request.operations());
        CommitPipeline.Ticket ticket = ticket(ex);
        answer(ex, ticket, pipeline.submitCommit(ticket, request, payload));
    }

    private void status(Exchange ex) throws IOException, HttpException {
        String id = ex.request().queryParam("request_id");
        if (id == null || id.isEmpty()) {
            ex.respond(400, JSON, CommitResponses.badRequest("request_id: required query parameter"));
            return;
        }
        CommitPipeline.Ticket ticket = ticket(ex);
        answer(ex, ticket, pipeline.submitStatus(ticket, id));
    }

    private void version(Exchange ex) throws IOException {
        // durableVersion is published by the persist stage before any answer for it is sent, so it is ≥ every
        // version acknowledged before this request arrived.
        ex.respond(200, JSON, CommitResponses.version(pipeline.durableVersion(), pipeline.leaderId()));
    }

    private static void answer(Exchange ex, CommitPipeline.Ticket ticket, PublishResult published) throws IOException {
        switch (published) {
            case PUBLISHED -> {
                try {
                    ticket.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the commit pipeline", e);
                }
                ex.respond(ticket.status, JSON, ticket.body, 0, ticket.bodyLength, Exchange.NO_HEADERS);
            }
            case FULL -> retryLater(ex, OVERLOADED);
            case STOPPED -> retryLater(ex, SHUTTING_DOWN);
        }
    }

    private static final byte[] OVERLOADED = CommitResponses.error("overloaded",
        "the commit pipeline is full; retry after a moment");
    private static final byte[] SHUTTING_DOWN = CommitResponses.error("shutting_down",
        "the server is stopping; retry later");

    private static void retryLater(Exchange ex, byte[] body) throws IOException {
        ex.respond(503, JSON, body, 0, body.length, "Retry-After", "1");
    }

    /** The connection's reusable ticket (kept as its attachment). */
    private static CommitPipeline.Ticket ticket(Exchange ex) {
        if (ex.attachment() instanceof CommitPipeline.Ticket t) return t;
        CommitPipeline.Ticket t = new CommitPipeline.Ticket();
        t.wakeVia(ex.threadWaker());  // the persist stage's wake-ups queue with the poller's, not beside them
        ex.attach(t);
        return t;
    }
}
