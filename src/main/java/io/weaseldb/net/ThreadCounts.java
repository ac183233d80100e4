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

    /** Carriers: as configured, else the cores the pollers leave (at least 1). */
    public static int carriers(int configured, int pollers, int cores) {
        return configured > 0 ? configured : Math.max(1, cores - pollers);
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
        return pollers + " poller thread(s), " + carriers + " carrier thread(s) for connection virtual threads ("
            + cores + " cores)";
    }
}
