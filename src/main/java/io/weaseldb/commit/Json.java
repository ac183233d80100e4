package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/** The package's one jackson factory (thread-safe; it owns the shared symbol table and buffer pool). */
final class Json {
    /** Buffers are recycled through a shared pool rather than jackson's default thread-local one (see the pool). */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(new JsonBufferPool())
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            // A character beyond the BMP (an emoji in a request id) as its 4 UTF-8 bytes, as the committed answer and
            // the change feed send it, not as an escaped surrogate pair (jackson's default).
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private Json() { }
}
