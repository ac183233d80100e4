package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonFactory;

/** The package's one jackson factory (thread-safe; it owns the shared symbol table and buffer pool). */
final class Json {
    /** Buffers are recycled through a shared pool rather than jackson's default thread-local one (see the pool). */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(new JsonBufferPool())
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private Json() { }
}
