package io.weaseldb.commit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.weaseldb.pipeline.Completion;
import io.weaseldb.pipeline.EventTranslator;
import io.weaseldb.pipeline.Pipeline;
import io.weaseldb.pipeline.PipelineConfig;
import io.weaseldb.pipeline.PublishResult;
import io.weaseldb.pipeline.Stage;
import io.weaseldb.storage.BanJournal;
import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.LogRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code commit_status} service pipeline: commit and status requests share one ring, so their order is
 * one order.
 *
 * <pre>
 *  connection vthreads ─tryPublish─▶ [ring] ─▶ resolve ─▶ persist ─▶ respond (×threads) ─▶ Ticket.complete()
 *                                             (1 thread)  (1 thread)   (threads = 0: persist answers)
 *                                             └ FUSED: one thread ┘
 * </pre>
 *
 * <ul>
 *   <li><b>resolve</b> (one thread) is the sequencer: bans from status queries, leader check, request-id
 *       dedup, preconditions against the conflict history, then the next version for a commit. Versions are
 *       given only after the decision, so aborted transactions take none and versions stay gap-free; a status
 *       query is answered from the state at its place in the sequence.</li>
 *   <li><b>persist</b> (one thread) appends each new commit and, at the end of the batch, makes the whole
 *       batch durable with one sync (group commit), then publishes the durable version and hands the records
 *       to the change feed.</li>
 *   <li><b>respond</b> turns each outcome into its HTTP answer and wakes the waiting connection. An answer
 *       that claims a version is given only if that version is durable. With {@code threads = 0} (the default)
 *       the persist thread does it for its batch right after the sync: one thread and one hand-off fewer per
 *       batch, which on a small machine costs less than it saves (measured on 2 cores with fsync on: 5-10%
 *       less server CPU per commit). With {@code threads = N > 0} it is a stage of its own on N threads, so
 *       the persist thread is back at the log sooner.</li>
 * </ul>
 *
 * {@link Layout#SPLIT} gives resolve and persist a thread each, so the next batch is resolved while the
 * disk syncs this one; {@link Layout#FUSED} runs both on one thread, which saves a hand-off and a thread
 * to wake per batch when there is no sync to overlap (fsync off).
 *
 * If the log fails (a write or fsync error), nothing more can be acknowledged safely: every later commit is
 * refused with 503 and {@link #healthy()} turns false (readiness), because a version already handed out
 * cannot be skipped without a gap.
 */
public final class CommitPipeline {
    /**
     * A connection's ticket into the pipeline, reused for each of its requests: the handler sets the input,
     * the respond stage sets {@link #status} and {@link #body}, then completes it. Publishing copies the
     * input into a ring slot, so it allocates nothing.
     */
    public static final class Ticket extends Completion {
        private Kind kind;
        private CommitRequest request;
        private byte[] payload;
        private String statusId;
        /** The answer, valid once {@link #await()} returned: {@code body[0, bodyLength)}. */
        public int status;
        public byte[] body;
        public int bodyLength;
        /** This connection's committed answers are built here, reused from one commit to the next. */
        private byte[] committedAnswer;
        private final int[] committedLength = new int[1];

        private void answer(int status, byte[] body) {
            this.status = status;
            this.body = body;
            this.bodyLength = body.length;
        }

        private void answerCommitted(Outcome o) {
            committedAnswer = CommitResponses.committed(o.version(), o.requestId(), o.leaderId(), committedAnswer, committedLength);
            status = 200;
            body = committedAnswer;
            bodyLength = committedLength[0];
        }
    }

    private enum Kind { COMMIT, STATUS }

    /** How resolve and persist share threads (see the class comment). */
    public enum Layout {
        /** A thread each: the persist thread's sync overlaps the resolution of the next batch. */
        SPLIT,
        /** One thread resolves, appends and syncs each batch: no hand-off and no second thread to wake. */
        FUSED;

        /** Stage threads before the respond stage. */
        public int threads() {
            return this == SPLIT ? 2 : 1;
        }
    }

    /** A ring slot; pre-allocated and reused. */
    static final class Event {
        Kind kind;
        CommitRequest request;
        byte[] payload;
        String statusId;
        RequestStatus status;
        /** A status query that banned its id, and the last version then (for the ban journal). */
        boolean banned;
        long banVersion;
        /** The ban could not be made durable: the answer must not claim it. */
        boolean banLost;
        final Outcome outcome = new Outcome();
        Ticket ticket;
    }

    private static final EventTranslator<Event, Ticket> FILL = (slot, seq, t) -> {
        slot.kind = t.kind;
        slot.request = t.request;
        slot.payload = t.payload;
        slot.statusId = t.statusId;
        slot.ticket = t;
        slot.status = null;
        slot.banned = false;
        slot.banLost = false;
        slot.outcome.clear();
    };

    private final Resolver resolver;
    private final CommitLog log;
    private final BanJournal bans;
    private final Consumer<LogRecord> onDurable;
    private final Pipeline<Event> pipeline;
    private final Counter commits;
    private final Map<Outcome.Kind, Counter> notCommitted = new EnumMap<>(Outcome.Kind.class);
    private volatile long durableVersion;
    private volatile boolean storageFailed;

    /**
     * @param respondThreads threads of a separate respond stage, or 0 to answer on the persist thread
     * @param onDurable      called on the persist thread for each record once durable, in version order; must not block
     */
    public CommitPipeline(PipelineConfig config, Layout layout, int respondThreads, Resolver resolver, CommitLog log,
                          Consumer<LogRecord> onDurable, MeterRegistry registry) {
        this(config, layout, respondThreads, resolver, log, null, onDurable, registry);
    }

    /** @param bans where status queries' bans are made durable before they are answered; null keeps them in memory only */
    public CommitPipeline(PipelineConfig config, Layout layout, int respondThreads, Resolver resolver, CommitLog log,
                          BanJournal bans, Consumer<LogRecord> onDurable, MeterRegistry registry) {
        this.resolver = resolver;
        this.log = log;
        this.bans = bans;
        this.onDurable = onDurable;
        this.durableVersion = resolver.lastVersion();
        this.commits = Counter.builder("weaseldb.commits").description("transactions committed (durable)").register(registry);
        for (Outcome.Kind k : Outcome.Kind.values()) {
            if (k == Outcome.Kind.COMMITTED || k == Outcome.Kind.DUPLICATE) continue;
            notCommitted.put(k, Counter.builder("weaseldb.commit.conflicts")
                .description("commits not committed, by reason")
                .tag("reason", k.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
        Gauge.builder("weaseldb.commit.version", this, CommitPipeline::durableVersion)
            .description("latest durable committed version").register(registry);
        // For alerting: the state /live reports, which only a restart leaves.
        Gauge.builder("weaseldb.storage.failed", this, p -> p.storageFailed ? 1 : 0)
            .description("1 once the log (or the resolver) failed and commits are refused until a restart, else 0")
            .register(registry);
        // Sizes of the resolver's in-memory state, for capacity planning (racy reads of a single-threaded
        // structure's counters: fine for a gauge).
        Gauge.builder("weaseldb.commit.request.ids", resolver.requestIds(), RequestIdIndex::size)
            .description("request ids remembered (committed or banned) for dedup and status").register(registry);
        FunctionCounter.builder("weaseldb.commit.request.ids.forgotten.early",
                resolver.requestIds(), RequestIdIndex::forgottenEarly)
            .description("request ids forgotten before request_id_retention_hours to stay within a quarter of the heap")
            .register(registry);
        Gauge.builder("weaseldb.commit.conflict.history.versions", resolver.history(), ConflictHistory::retainedVersions)
            .description("versions of write history kept for precondition checks").register(registry);
        Pipeline.Builder<Event> stages = Pipeline.builder(config, Event::new, registry);
        Persist persist = new Persist(respondThreads == 0);
        if (layout == Layout.FUSED) {
            stages.stage("resolve_persist", new ResolveAndPersist(persist));
        } else {
            stages.stage("resolve", this::resolve).stage("persist", persist);
        }
        if (respondThreads > 0) stages.parallelStage("respond", respondThreads, i -> this::respond);
        this.pipeline = stages.build();
    }

    public void start() { pipeline.start(); }

    /** Drains every published request, then stops the stage threads. */
    public boolean stop(Duration timeout) { return pipeline.stop(timeout); }

    /** Latest version that is durable: ≥ every version acknowledged so far. */
    public long durableVersion() { return durableVersion; }

    public String leaderId() { return resolver.leaderId(); }

    /** False once the log has failed: nothing more can be committed. */
    public boolean healthy() { return !storageFailed; }

    /**
     * Publishes a commit; the caller then awaits {@code ticket}. Never blocks: FULL or STOPPED when the ring has
     * no room or the pipeline is stopping.
     *
     * @param payload the operations as the log and the change feed store them (encoded by the caller, off the
     *                pipeline's threads)
     */
    public PublishResult submitCommit(Ticket ticket, CommitRequest request, byte[] payload) {
        ticket.reset();
        ticket.kind = Kind.COMMIT;
        ticket.request = request;
        ticket.payload = payload;
        ticket.statusId = null;
        return publish(ticket);
    }

    /** Publishes a status query (which bans the id from here on). */
    public PublishResult submitStatus(Ticket ticket, String requestId) {
        ticket.reset();
        ticket.kind = Kind.STATUS;
        ticket.request = null;
        ticket.payload = null;
        ticket.statusId = requestId;
        return publish(ticket);
    }

    private PublishResult publish(Ticket t) {
        PublishResult r = pipeline.tryPublish(FILL, t);
        t.request = null; // the slot holds them now
        t.payload = null;
        if (r != PublishResult.PUBLISHED) t.complete(); // nobody else will: leave it reusable for the next request
        return r;
    }

    // ------------------------------------------------------------------ stages

    private void resolve(Event e, long seq, boolean endOfBatch) {
        long before = resolver.lastVersion();
        try {
            if (e.kind == Kind.STATUS) {
                e.status = resolver.status(e.statusId);
                e.banned = resolver.requestIds().isBanned(e.statusId);  // made or renewed now (a committed id never is)
                e.banVersion = resolver.lastVersion();
            } else {
                resolver.resolve(e.request, e.outcome);
            }
        } catch (RuntimeException | Error ex) {
            // The request is answered 500 (its outcome stays undecided). If a version was already taken, it
            // will never be persisted: the versions would have a gap, so stop being ready (as for a log failure).
            if (resolver.lastVersion() != before) {
                System.err.println("weaseldb: FATAL: resolve failed after taking version " + resolver.lastVersion()
                    + "; refusing commits from now on: " + ex);
                storageFailed = true;
            }
            throw ex; // logged by the stage worker
        }
    }

    /** {@link Layout#FUSED}: resolve, then persist, each event on one thread. */
    private final class ResolveAndPersist implements Stage<Event> {
        private final Persist persist;

        ResolveAndPersist(Persist persist) {
            this.persist = persist;
        }

        @Override
        public void onEvent(Event e, long seq, boolean endOfBatch) {
            try {
                resolve(e, seq, endOfBatch);
            } catch (VirtualMachineError fatal) {
                throw fatal;  // as the stage worker does: the process cannot go on reliably
            } catch (Throwable ex) {
                // As between split stages: logged, and the event goes on undecided, to be answered 500. Skipping
                // persist instead would leave it, and at a batch's end the whole batch, unanswered.
                onException(ex, e, seq);
            }
            persist.onEvent(e, seq, endOfBatch);
        }
    }

    /**
     * Appends new commits; one sync per batch (group commit). Single-threaded. When it also answers, it keeps
     * the batch's events until the batch ends (their slots are not reused before this stage advances).
     */
    private final class Persist implements Stage<Event> {
        private final List<LogRecord> batch = new ArrayList<>();
        private final List<Event> banned = new ArrayList<>();
        private final List<Event> toAnswer;

        Persist(boolean answers) {
            this.toAnswer = answers ? new ArrayList<>() : null;
        }

        @Override
        public void onEvent(Event e, long seq, boolean endOfBatch) {
            if (toAnswer != null) toAnswer.add(e);
            try {
                persist(e, endOfBatch);
            } finally {
                if (endOfBatch && toAnswer != null) answerBatch();
            }
            if (endOfBatch) log.afterSync(); // after the answers (with a respond stage, before it can start them)
        }

        private void answerBatch() {
            try {
                for (int i = 0, n = toAnswer.size(); i < n; i++) respond(toAnswer.get(i), 0, false);
            } finally {
                toAnswer.clear();  // never answered again with the next batch, whatever escaped
            }
        }

        private void persist(Event e, boolean endOfBatch) {
            if (e.banned && bans != null) journalBan(e);
            if (endOfBatch && !banned.isEmpty()) syncBans();
            if (e.kind == Kind.COMMIT && e.outcome.mustPersist() && !storageFailed) {
                Outcome o = e.outcome;
                LogRecord r = new LogRecord(o.version(), o.requestId(), o.timestampMillis(), e.payload);
                try {
                    log.append(r);
                    batch.add(r);
                } catch (IOException | RuntimeException ex) {
                    fail(ex);
                }
            }
            if (endOfBatch && !batch.isEmpty()) {
                try {
                    if (!storageFailed) {
                        log.sync();
                        durableVersion = batch.get(batch.size() - 1).version(); // before any answer is sent
                        commits.increment(batch.size());
                        for (LogRecord r : batch) onDurable.accept(r);
                    }
                } catch (IOException | RuntimeException ex) {
                    fail(ex);
                } finally {
                    batch.clear();
                }
            }
        }

        private void journalBan(Event e) {
            banned.add(e);
            if (storageFailed) return;
            try {
                bans.append(e.statusId, e.banVersion, System.currentTimeMillis());
            } catch (IOException | RuntimeException ex) {
                fail(ex);
            }
        }

        /** Before any answer of the batch: a status answer promises its ban holds, across restarts too. */
        private void syncBans() {
            try {
                if (!storageFailed) bans.sync(durableVersion);
            } catch (IOException | RuntimeException ex) {
                fail(ex);
            }
            if (storageFailed) {
                for (Event e : banned) e.banLost = true;
            }
            banned.clear();
        }

        private void fail(Exception ex) {
            if (!storageFailed) {
                System.err.println("weaseldb: FATAL: commit log failed; refusing commits from now on: " + ex);
            }
            storageFailed = true;
        }
    }

    private void respond(Event e, long seq, boolean endOfBatch) {
        Ticket r = e.ticket;
        try {
            decideAnswer(e, r);
        } catch (RuntimeException ex) {
            // The connection waiting on this ticket is answered whatever happened (never left parked, and a batch's
            // later events still answered), with a 500 that claims nothing about the outcome.
            System.err.println("weaseldb: building a commit pipeline answer failed: " + ex);
            ex.printStackTrace();
            r.answer(500, ANSWER_FAILED);
        } finally {
            // Drop references held by the slot so a reused ring does not pin request bodies.
            e.request = null;
            e.payload = null;
            e.ticket = null;
            r.complete();
        }
    }

    private void decideAnswer(Event e, Ticket r) {
        if (e.kind == Kind.STATUS ? e.status == null : e.outcome.kind() == null) {
            // The resolve stage threw (logged there): answer without claiming anything. If it had taken a version,
            // resolve() has already stopped the pipeline from committing (see there).
            r.answer(500, UNDECIDED);
        } else if (e.kind == Kind.STATUS) {
            RequestStatus s = e.status;
            if (e.banLost || (s.kind() == RequestStatus.Kind.COMMITTED && s.version() > durableVersion)) {
                r.answer(503, CommitResponses.statusUnavailable(e.statusId));
            } else {
                r.answer(200, CommitResponses.status(e.statusId, s));
            }
        } else {
            Outcome o = e.outcome;
            if (o.committed() && o.version() > durableVersion) {
                unavailable(r, o.requestId()); // the log failed before this version became durable: never acknowledge it
            } else {
                if (o.committed()) {
                    r.answerCommitted(o);
                } else {
                    r.answer(CommitResponses.status(o), CommitResponses.body(o));
                }
                Counter c = notCommitted.get(o.kind());
                if (c != null) c.increment();
            }
        }
    }

    private static final byte[] ANSWER_FAILED = CommitResponses.error("internal_error",
        "the answer could not be built (see the server log); this response says nothing about the outcome:"
            + " GET /v1/status with the request id tells it");

    private static final byte[] UNDECIDED = CommitResponses.error("internal_error",
        "the request could not be resolved and was not committed; see the server log");

    /**
     * The log failed after this commit took its version and before it was durable: its records may or may not
     * have reached the disk, so the outcome is unknown, not "not committed". The answer says so and names the
     * request id (a generated one included), which /v1/status answers definitively once a server runs again.
     */
    private static void unavailable(Ticket r, String requestId) {
        r.answer(503, CommitResponses.storageUnavailable(requestId));
    }
}
