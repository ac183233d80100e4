/**
 * Service pipelines: bounded single-consumer ring buffers (LMAX Disruptor style) whose stages each
 * run on one platform thread, with a wait strategy that parks when idle and batches when busy.
 *
 * <p>Owns: sequences, publication, stage threads, back-pressure (publishing never blocks).
 * May call: {@code metrics}. Knows nothing about HTTP.
 */
package io.weaseldb.pipeline;
