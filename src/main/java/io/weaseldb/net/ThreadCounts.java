package io.weaseldb.net;

/**
 * How many platform threads serve connections: pollers ({@code http.network_threads}) and the carriers that run
 * the connections' virtual threads ({@code http.carrier_threads}, the JDK scheduler's parallelism).
 *
 * <p>By default they split the cores: pollers take half, carriers the rest. Carriers beyond that only add
 * hand-offs: on 2 cores (1 poller), one carrier instead of the JDK's default two served {@code /ok} at 5.8
 * instead of 8.5-9 µs of CPU per request, and commits at 25.6 instead of 29.5 µs, because a woken connection
 * thread then runs on a carrier that is already awake instead of unparking an idle one (futex wake, context
 * switch).
 */
public final class ThreadCounts {
    /** The JDK's knob; read once, when the first virtual thread is created. */
    static final String PARALLELISM_PROPERTY = "jdk.virtualThreadScheduler.parallelism";

    private ThreadCounts() { }

    /** Pollers: as configured, else half the cores (at least 1). */
    public static int pollers(int configured, int cores) {
        return configured > 0 ? configured : Math.max(1, cores / 2);
    }

    /**
     * Carriers: as configured, else the cores the pollers leave, at least 1, and at least 2 when there are several
     * pollers. One carrier fed by two or more pollers starves some connections: on 2 cores with 2 pollers,
     * {@code /ok} at 64 connections had a p99 of 115-128 ms with one carrier against 1.2-1.5 ms with two (and with
     * 3 pollers on 2 carriers), as if the scheduler's single worker served one poller's wake-ups ahead of the other's.
     */
    public static int carriers(int configured, int pollers, int cores) {
        if (configured > 0) return configured;
        return Math.max(pollers > 1 ? 2 : 1, cores - pollers);
    }

    /** A startup warning for a configuration known to starve connections, or null. */
    static String warning(int pollers, int carriers) {
        return pollers > 1 && carriers == 1
            ? "weaseldb: WARNING: " + pollers + " pollers share one carrier thread: some connections wait for 100 ms"
                + " and more under load; set http.carrier_threads to 2 or more (or 0), or http.network_threads to 1"
            : null;
    }

    /**
     * Sizes the virtual-thread scheduler from the config unless {@value #PARALLELISM_PROPERTY} was given on the
     * command line (which then wins). Call before the process creates its first virtual thread; later calls
     * have no effect on the scheduler. Returns a one-line description for the startup log.
     */
    public static String applyCarriers(int configuredPollers, int configuredCarriers) {
        int cores = Runtime.getRuntime().availableProcessors();
        int pollers = pollers(configuredPollers, cores);
        String given = System.getProperty(PARALLELISM_PROPERTY);
        if (given != null) {
            return pollers + " poller thread(s), carriers from -D" + PARALLELISM_PROPERTY + "=" + given
                + " (http.carrier_threads ignored)";
        }
        int carriers = carriers(configuredCarriers, pollers, cores);
        System.setProperty(PARALLELISM_PROPERTY, Integer.toString(carriers));
        String warning = warning(pollers, carriers);
        return pollers + " poller thread(s), " + carriers + " carrier thread(s) for connection virtual threads ("
            + cores + " cores)" + (warning == null ? "" : "\n" + warning);
    }
}
