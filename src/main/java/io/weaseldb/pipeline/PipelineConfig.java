package io.weaseldb.pipeline;

import java.util.Objects;

/**
 * Sizing of one pipeline ({@code [http.pipelines.<name>]} in the TOML configuration).
 *
 * @param name          pipeline name: metric tag {@code pipeline} and part of the thread names
 * @param ringBufferSize number of pre-allocated events; a power of two ≥ 2
 * @param threads       upper bound on the stage threads the pipeline may start (≥ 1)
 * @param maxBatchSize  most events a stage thread takes at once, 1..ringBufferSize
 */
public record PipelineConfig(String name, int ringBufferSize, int threads, int maxBatchSize) {

    public PipelineConfig {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("pipeline name must not be blank");
        }
        requirePowerOfTwo(name, "ring_buffer_size", ringBufferSize);
        requireThreads(name, "threads", threads);
        if (maxBatchSize < 1 || maxBatchSize > ringBufferSize) {
            throw new IllegalArgumentException("pipeline '" + name + "': max_batch_size must be in 1.."
                    + ringBufferSize + " (ring_buffer_size), was " + maxBatchSize);
        }
    }

    /** A config whose stages take everything available (up to the whole ring) per batch. */
    public static PipelineConfig of(String name, int ringBufferSize, int threads) {
        return new PipelineConfig(name, ringBufferSize, threads, Math.max(1, ringBufferSize));
    }

    /**
     * @throws IllegalArgumentException naming the pipeline, the setting and the value unless
     *     {@code value} is a power of two ≥ 2
     */
    public static int requirePowerOfTwo(String pipeline, String setting, int value) {
        if (value < 2 || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException("pipeline '" + pipeline + "': " + setting
                    + " must be a power of two >= 2, was " + value);
        }
        return value;
    }

    /** @throws IllegalArgumentException naming the pipeline, the setting and the value unless ≥ 1 */
    public static int requireThreads(String pipeline, String setting, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("pipeline '" + pipeline + "': " + setting
                    + " must be >= 1, was " + value);
        }
        return value;
    }
}
