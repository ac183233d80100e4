package io.weaseldb.http;

import java.io.IOException;

/**
 * Endpoint logic. Runs on the connection's virtual thread in plain blocking style: it may read the body,
 * block on a pipeline completion, and must answer exactly once through the {@link Exchange}.
 * An {@link HttpException} thrown before answering becomes that error response (and a close).
 */
@FunctionalInterface
public interface Handler {
    void handle(Exchange exchange) throws IOException, HttpException;
}
