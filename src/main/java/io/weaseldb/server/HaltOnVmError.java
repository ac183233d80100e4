package io.weaseldb.server;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The process's uncaught-exception handler: a thread ended by a {@link VirtualMachineError} (out of memory, a stack
 * overflow) halts the process with exit status 3, as {@code -XX:+ExitOnOutOfMemoryError} would, whatever flags the
 * JVM was started with. Without it, the soak audit's heap exhaustion killed the accept, poller and retention threads
 * and left a process at 145 % CPU in back-to-back full GCs that answered nothing and could not even run its SIGTERM
 * handler; halted, it is restarted by its supervisor and recovers from its log (every acknowledged commit is durable).
 * Halt, not exit: a graceful shutdown needs the memory that just ran out. Other exceptions are printed as the JDK's
 * default handler prints them.
 *
 * <p>Threads that catch {@code Throwable} to stay alive (connection threads, pipeline stages) rethrow such errors so
 * that they reach this handler.
 */
final class HaltOnVmError implements Thread.UncaughtExceptionHandler {
    static final int EXIT_STATUS = 3;
    /** Made before it is needed: printing a message may itself need memory that is gone. */
    private static final byte[] MESSAGE = ("weaseldb: FATAL: the JVM failed (out of memory or a similar error);"
        + " halting so that the server is restarted and recovers from its log\n").getBytes(StandardCharsets.US_ASCII);
    private final FileOutputStream stderr = new FileOutputStream(FileDescriptor.err);

    static void install() {
        Thread.setDefaultUncaughtExceptionHandler(new HaltOnVmError());
    }

    @Override
    public void uncaughtException(Thread t, Throwable e) {
        if (e instanceof VirtualMachineError) {
            try {
                stderr.write(MESSAGE);
            } catch (IOException | RuntimeException | Error ignored) {
                // halting anyway
            }
            Runtime.getRuntime().halt(EXIT_STATUS);
        }
        System.err.print("Exception in thread \"" + t.getName() + "\" ");
        e.printStackTrace();
    }
}
