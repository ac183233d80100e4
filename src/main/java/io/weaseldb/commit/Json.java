package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

/** The package's one jackson factory (thread-safe; it owns the shared symbol table and buffer pool). */
final class Json {
    /**
     * Buffers are recycled through a shared pool rather than jackson's default thread-local one: parsers
     * run on short-lived virtual threads, whose thread-locals would never be reused.
     */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private Json() { }
}
