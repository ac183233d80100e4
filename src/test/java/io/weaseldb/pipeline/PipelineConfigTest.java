package io.weaseldb.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PipelineConfigTest {

    @ParameterizedTest
    @ValueSource(ints = {-8, 0, 1, 3, 6, 1000, Integer.MAX_VALUE})
    void ringSizeMustBeAPowerOfTwoOfAtLeastTwo(int size) {
        var e = assertThrows(IllegalArgumentException.class, () -> PipelineConfig.of("commit_status", size, 4));
        assertTrue(e.getMessage().contains("ring_buffer_size"), e.getMessage());
        assertTrue(e.getMessage().endsWith("was " + size), e.getMessage());
        assertTrue(e.getMessage().contains("'commit_status'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 1024, 1 << 30})
    void powersOfTwoAreAccepted(int size) {
        assertEquals(size, PipelineConfig.of("p", size, 1).ringBufferSize());
        assertEquals(size, PipelineConfig.of("p", size, 1).maxBatchSize());
    }

    @Test
    void threadsAndBatchSizeAreValidated() {
        var threads = assertThrows(IllegalArgumentException.class, () -> PipelineConfig.of("p", 8, 0));
        assertEquals("pipeline 'p': threads must be >= 1, was 0", threads.getMessage());
        var batch = assertThrows(IllegalArgumentException.class, () -> new PipelineConfig("p", 8, 1, 9));
        assertTrue(batch.getMessage().contains("max_batch_size"), batch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig("p", 8, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> PipelineConfig.of(" ", 8, 1));
    }

    @Test
    void builderBoundsThreadsAndRejectsBadStages() {
        var registry = new SimpleMeterRegistry();
        Stage<Object> noop = (e, s, end) -> { };
        var tooMany = assertThrows(IllegalArgumentException.class, () -> Pipeline
                .builder(PipelineConfig.of("cs", 8, 4), Object::new, registry)
                .stage("sequence", noop).parallelStage("resolve", 2, i -> noop).stage("persist", noop)
                .stage("respond", noop).build());
        assertEquals("pipeline 'cs': stages need 5 threads but threads = 4", tooMany.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Pipeline
                .builder(PipelineConfig.of("cs", 8, 4), Object::new, registry).build());
        assertThrows(IllegalArgumentException.class, () -> Pipeline
                .builder(PipelineConfig.of("cs", 8, 4), Object::new, registry).stage("a", noop).stage("a", noop));
        var zero = assertThrows(IllegalArgumentException.class, () -> Pipeline
                .builder(PipelineConfig.of("cs", 8, 4), Object::new, registry).parallelStage("a", 0, i -> noop));
        assertTrue(zero.getMessage().contains("was 0"), zero.getMessage());
        assertThrows(NullPointerException.class, () -> Pipeline
                .builder(PipelineConfig.of("cs", 8, 4), () -> null, registry).stage("a", noop).build());
    }
}
