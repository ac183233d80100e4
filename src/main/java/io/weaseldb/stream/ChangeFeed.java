package io.weaseldb.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.LogTruncatedException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Fan-out of durable commits to subscribers (GET /v1/subscribe).
 *
 * <p><b>Ring.</b> The persist stage calls {@link #publish} once per record, in version order, right after the
 * fsync that made it durable. Each record becomes an event ({@link SseEvent}: rendered as SSE bytes once, by the
 * first subscriber that needs it) in a ring indexed by version. The ring is bounded by slot count and by bytes: it keeps only events a subscriber within
 * {@code maxBufferSizeBytes} of the newest event can still need. Anything older is replayed from the commit log
 * ({@link CommitLog#read}), so history never lives in memory. Each subscriber pulls "the next version I need"
 * from the ring if present, else from disk, so the switch from replay to live is gap-free and duplicate-free by
 * construction, and only durable versions are ever delivered (the ring holds published = durable records; the
 * log only returns durable ones).
 *
 * <p><b>Memory ordering.</b> Single writer (the persist thread), many readers, no locks. The writer stores the
 * event into its slot with a plain store, then publishes it with the volatile write of {@link #newest}
 * (release). A reader first reads {@code newest} (acquire), so every slot up to that version is visible, then
 * reads slots. A slot may meanwhile have been overwritten by a newer version (count bound) or cleared (byte
 * bound): readers check the event's version and fall back to disk. Events have only final fields, so even a slot
 * read racing with a later store yields a fully built event (JLS 17.5).
 *
 * <p><b>Waking subscribers.</b> {@code publish} never blocks and does no per-subscriber work: after the volatile
 * write it unparks one notifier thread, and only when that thread is parked and some subscriber is waiting. The
 * notifier pops the whole stack of waiting subscribers and unparks each; publishes that happen while it works
 * are coalesced into its next pass. A woken subscriber delivers everything available before it waits again, so
 * under load subscribers batch and are not woken per commit.
 *
 * <p><b>Lag.</b> Every event has an offset: the bytes of all events published before it. A subscriber's lag is
 * the newest event's offset minus the offset of its next undelivered event; above {@code maxBufferSizeBytes} it
 * is disconnected ({@code reason=slow}) and may resume with Last-Event-ID. The subscriber checks this itself as
 * it delivers; the notifier thread doubles as a reaper that checks every subscriber each
 * {@link Options#reapInterval} and aborts those stuck in a socket write (client stopped reading). A subscriber
 * replaying history older than the ring has no known offset and is not limited: it costs no memory and reads at
 * its own pace (a stalled socket is still closed by the write timeout); the limit applies from the moment it
 * reaches the ring's window.
 */
public final class ChangeFeed implements AutoCloseable {
    /** {@link #subscribe} start for "live only": from the newest published version on. */
    public static final long LIVE = -1;

    /**
     * @param maxBufferSizeBytes a subscriber further behind than this many event bytes is disconnected
     * @param keepaliveInterval  idle streams get a {@code : keepalive} comment this often
     * @param ringSlots          ring size in events (a power of two), or 0 to derive it from the byte limit
     * @param reapInterval       how often the reaper checks lag and draining
     * @param replayMemoryBytes  what replays from disk may hold at once ({@link ReplayMemory}): an eighth of the heap
     */
    public record Options(long maxBufferSizeBytes, Duration keepaliveInterval, int ringSlots, Duration reapInterval,
                          long replayMemoryBytes) {
        public Options {
            if (maxBufferSizeBytes < 1) throw new IllegalArgumentException("maxBufferSizeBytes must be ≥ 1: " + maxBufferSizeBytes);
            if (keepaliveInterval.isNegative() || keepaliveInterval.isZero()) {
                throw new IllegalArgumentException("keepaliveInterval must be positive: " + keepaliveInterval);
            }
            if (ringSlots < 0 || (ringSlots != 0 && Integer.bitCount(ringSlots) != 1)) {
                throw new IllegalArgumentException("ringSlots must be 0 or a power of two: " + ringSlots);
            }
            if (reapInterval.isNegative() || reapInterval.isZero()) {
                throw new IllegalArgumentException("reapInterval must be positive: " + reapInterval);
            }
            if (replayMemoryBytes < 1) throw new IllegalArgumentException("replayMemoryBytes must be ≥ 1: " + replayMemoryBytes);
        }

        /** From {@code [subscription]}: ring derived from the byte limit, reaper every 100 ms. */
        public static Options of(long maxBufferSizeBytes, int keepaliveIntervalSeconds) {
            return new Options(maxBufferSizeBytes, Duration.ofSeconds(keepaliveIntervalSeconds), 0, Duration.ofMillis(100),
                Runtime.getRuntime().maxMemory() / 8);
        }

        public Options withRingSlots(int slots) {
            return new Options(maxBufferSizeBytes, keepaliveInterval, slots, reapInterval, replayMemoryBytes);
        }

        public Options withReplayMemoryBytes(long bytes) {
            return new Options(maxBufferSizeBytes, keepaliveInterval, ringSlots, reapInterval, bytes);
        }

        /**
         * Enough slots for the byte window at ~128 bytes per event (a small commit), between 1 Ki and 64 Ki
         * slots. Fewer slots than the window needs only means more reads from disk, never a wrong answer.
         */
        int slots() {
            if (ringSlots != 0) return ringSlots;
            long want = Math.min(1 << 16, Math.max(1 << 10, maxBufferSizeBytes / 128));
            long pow = Long.highestOneBit(want);
            return (int) (pow < want ? pow << 1 : pow);
        }
    }

    private final CommitLog log;
    private final long maxLagBytes;
    private final ReplayMemory replayMemory;
    private final long keepaliveNanos;
    private final long reapNanos;
    private final SseEvent[] ring;
    private final int mask;

    /** Writer-only: the oldest version whose slot still holds its event (all of [oldestInRing, newest] do). */
    private long oldestInRing;
    /** The log's last version when the feed was created: what the notifier has "seen" when it starts. */
    private final long startVersion;

    /**
     * The newest published event; before the first publish a zero-length sentinel at the log's last version.
     * The volatile write is the publication point of the ring (see class comment).
     */
    private volatile SseEvent newest;

    /** Waiting subscribers: a Treiber stack popped whole by the notifier (pop-all, so node reuse has no ABA hazard). */
    private final AtomicReference<Subscription> waiters = new AtomicReference<>();
    private final Set<Subscription> subscribers = ConcurrentHashMap.newKeySet();
    private final Thread notifier;
    private volatile boolean notifierParked;
    private volatile boolean closed;

    private final MeterRegistry registry;
    private final Gauge subscriberGauge;
    private final Counter[] disconnected = new Counter[DisconnectReason.values().length];

    private ChangeFeed(CommitLog log, Options opts, MeterRegistry registry) {
        this.log = log;
        this.replayMemory = new ReplayMemory(opts.replayMemoryBytes());
        this.maxLagBytes = opts.maxBufferSizeBytes();
        this.keepaliveNanos = opts.keepaliveInterval().toNanos();
        this.reapNanos = opts.reapInterval().toNanos();
        this.ring = new SseEvent[opts.slots()];
        this.mask = ring.length - 1;
        long last = log.lastVersion();
        this.newest = new SseEvent(last, 0);
        this.oldestInRing = last + 1;
        this.startVersion = last;
        this.registry = registry;
        this.subscriberGauge = Gauge.builder("weaseldb.subscribers", subscribers, Set::size)
                .description("Open /v1/subscribe event streams")
                .register(registry);
        for (DisconnectReason r : DisconnectReason.values()) {
            disconnected[r.ordinal()] = Counter.builder("weaseldb.subscribers.disconnected")
                    .description("Event streams ended, by reason (slow: fell more than max_buffer_size_bytes behind)")
                    .tag("reason", r.tag())
                    .register(registry);
        }
        this.notifier = new Thread(this::runNotifier, "weaseldb-feed-notifier");
        notifier.setDaemon(true);
    }

    /**
     * Creates the feed over an opened (recovered) log and starts its notifier/reaper thread. Construct it before
     * the persist stage publishes anything: the first published version must be {@code log.lastVersion() + 1}.
     */
    public static ChangeFeed start(CommitLog log, Options opts, MeterRegistry registry) {
        ChangeFeed feed = new ChangeFeed(log, opts, registry);
        feed.notifier.start();
        return feed;
    }

    // ------------------------------------------------------------------ writer side (persist thread)

    /**
     * Makes a durable record visible to subscribers. Called by the persist stage for each record, in version order
     * (each exactly the previous + 1), after the fsync that made it durable. Never blocks: stores the event (its length
     * computed, its bytes left to the first subscriber that reads it), evicts what the byte bound no longer needs (amortized O(1)), and at
     * most unparks the notifier thread.
     *
     * @throws IllegalArgumentException if {@code record} does not follow the last published version
     */
    public void publish(LogRecord record) {
        SseEvent last = newest; // only this thread writes it, so this is our own last write
        long v = record.version();
        if (v != last.version + 1) {
            throw new IllegalArgumentException("publish: version " + v + " does not follow the last published version " + last.version);
        }
        SseEvent e = new SseEvent(record, last.end());
        ring[(int) v & mask] = e; // plain store, published by the volatile write of newest below
        if (oldestInRing <= v - ring.length) oldestInRing = v - ring.length + 1; // that store replaced v - length
        long floor = e.offset - maxLagBytes; // events before this offset only serve subscribers that are too slow
        while (oldestInRing < v) {
            int i = (int) oldestInRing & mask;
            if (ring[i].offset >= floor) break;
            ring[i] = null; // let the GC have it; a reader still holding it may finish with it
            oldestInRing++;
        }
        newest = e; // release: the slot and the event's bytes happen-before any reader that sees e
        // Dekker with the notifier (parked flag, then newest) and with waiters (push, then newest): if we miss
        // either flag, the other side re-reads newest and sees e.
        if (notifierParked && waiters.get() != null) LockSupport.unpark(notifier);
    }

    /** The newest published version (the log's last version before anything was published). */
    public long latestVersion() {
        return newest.version;
    }

    // ------------------------------------------------------------------ subscribers

    /**
     * Opens a subscription delivering every version after {@code afterVersion} ({@link #LIVE}: after the newest
     * published one). Stream it with {@link Subscription#stream} on the connection's thread.
     *
     * @throws LogTruncatedException    if versions it needs are no longer in the log (answer 410 with
     *                                  {@link LogTruncatedException#oldestVersion()})
     * @throws IllegalArgumentException if {@code afterVersion} is negative (other than LIVE) or newer than
     *                                  {@link #latestVersion()}
     */
    public Subscription subscribe(long afterVersion, StreamControl control) throws LogTruncatedException {
        SseEvent n = newest;
        long after = afterVersion == LIVE ? n.version : afterVersion;
        if (after < 0 || after > n.version) {
            throw new IllegalArgumentException("start version " + afterVersion + " is outside [0, " + n.version + "]");
        }
        if (afterVersion != LIVE) {
            // Live streams need nothing from disk; a replay must find its first version still retained.
            long oldest = log.oldestVersion();
            if (after + 1 < oldest) throw new LogTruncatedException(after + 1, oldest);
        }
        return new Subscription(this, control, after, offsetOf(after + 1, n));
    }

    /** Open event streams. */
    public int subscriberCount() {
        return subscribers.size();
    }

    /** Byte offset of {@code version}'s event if known from the ring (or it is the next to come), else -1. */
    private long offsetOf(long version, SseEvent n) {
        if (version == n.version + 1) return n.end();
        SseEvent e = eventAt(version);
        return e != null ? e.offset : -1;
    }

    /** The event for {@code version} if the ring still holds it; only for versions ≤ a {@link #newest()} read first. */
    SseEvent eventAt(long version) {
        SseEvent e = ring[(int) version & mask];
        return e != null && e.version == version ? e : null;
    }

    SseEvent newest() {
        return newest;
    }

    CommitLog log() {
        return log;
    }

    /** Bytes of rendered history that replaying subscribers hold right now (bounded by the options' replay memory). */
    public long replayBytesHeld() {
        return replayMemory.heldBytes();
    }

    /** What replays from disk may hold at once (see {@link ReplayMemory}). */
    ReplayMemory replayMemory() {
        return replayMemory;
    }

    long maxLagBytes() {
        return maxLagBytes;
    }

    long keepaliveNanos() {
        return keepaliveNanos;
    }

    boolean isClosed() {
        return closed;
    }

    void register(Subscription s) {
        subscribers.add(s);
    }

    void unregister(Subscription s) {
        subscribers.remove(s);
    }

    void countDisconnect(DisconnectReason reason) {
        disconnected[reason.ordinal()].increment();
    }

    /**
     * Parks the subscriber until a version after its current newest is published, {@code deadline} passes, or it
     * is poked (drain, abort, close). Spurious returns are fine: the caller loops.
     */
    void await(Subscription s, long deadline) {
        if (!s.queued) {
            s.queued = true;
            Subscription h;
            do {
                h = waiters.get();
                s.nextWaiter = h;
            } while (!waiters.compareAndSet(h, s));
        }
        // Re-check after joining the stack (pairs with publish: write newest, then read waiters).
        if (newest.version >= s.nextVersion() || closed) return;
        long left = deadline - System.nanoTime();
        if (left > 0) LockSupport.parkNanos(this, left);
    }

    // ------------------------------------------------------------------ notifier / reaper thread

    /** How long the notifier waits after new events before waking subscribers (see {@link #runNotifier}). */
    static final long NOTIFY_DELAY_NANOS = 200_000;

    private void runNotifier() {
        // The version the feed was created with, not newest's value whenever this thread gets to run: a version
        // published before that would otherwise never wake its waiting subscribers (only their 1 s peer check).
        long seen = startVersion;
        long nextReap = System.nanoTime() + reapNanos;
        while (!closed) {
            long latest = newest.version;
            if (latest != seen) {
                // Let the acknowledgements of these commits reach the scheduler first: waking many subscriber
                // threads queues them ahead of the connection threads that answer the commits (measured with
                // 1000 subscribers at 50 commits/s: commit p50 4.6-7.4 ms without this pause, 0.8-1.4 ms with it).
                LockSupport.parkNanos(this, NOTIFY_DELAY_NANOS);
                seen = newest.version;
                wakeWaiters();
            }
            long now = System.nanoTime();
            if (now - nextReap >= 0) {
                reap();
                nextReap = now + reapNanos;
            }
            notifierParked = true; // volatile write, then re-read newest: pairs with publish
            if (newest.version == seen && !closed) LockSupport.parkNanos(this, nextReap - now);
            notifierParked = false;
        }
    }

    /**
     * Subscriber threads one notifier pass wakes through their connections (see {@link #wakeWaiters}); a pass with
     * more wakes them all directly.
     */
    static final int ORDERED_WAKE_LIMIT = 64;

    /**
     * Wakes every waiting subscriber. A few are woken through their connections (over HTTP: the poller, in one
     * order with the connections' I/O wake-ups): unparked from this platform thread they joined the scheduler's
     * queue for this thread, which the one carrier served only between runs of the poller's rounds, so beside
     * {@code GET /ok} at 64 connections the ack-to-event p99 was 18-48 ms, and 2-4 ms through the poller. A pass
     * over many is unparked directly: 1000 subscribers in that one order with the commits' connection threads put
     * each commit behind a thousand event writes (commit p99 0.4-1.1 s in a commit storm, against 0.1-0.2 s),
     * while a deferred subscriber catches up later in fewer, larger writes.
     */
    private void wakeWaiters() {
        Subscription s = waiters.getAndSet(null);
        int n = 0;
        for (Subscription w = s; w != null && n <= ORDERED_WAKE_LIMIT; w = w.nextWaiter) n++;
        boolean ordered = n <= ORDERED_WAKE_LIMIT;
        while (s != null) {
            Subscription next = s.nextWaiter; // read before the subscriber may push itself again
            s.nextWaiter = null;
            s.queued = false;
            if (ordered) s.control().wake(s.thread());
            else LockSupport.unpark(s.thread());
            s = next;
        }
    }

    /** Cuts off subscribers too far behind (typically blocked in a write) and pokes all of them when draining. */
    private void reap() {
        SseEvent n = newest;
        for (Subscription s : subscribers) {
            if (s.lagBytes(n) > maxLagBytes) {
                s.disconnect(DisconnectReason.SLOW);
            } else if (s.control().draining()) {
                s.control().wake(s.thread());
            }
        }
    }

    /**
     * Stops the notifier and ends every stream ({@code reason=shutdown}; each flushes and returns). Call after the
     * network has drained, before closing the log.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        LockSupport.unpark(notifier);
        try {
            notifier.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Subscription s : subscribers) LockSupport.unpark(s.thread());
        registry.remove(subscriberGauge);
    }
}
