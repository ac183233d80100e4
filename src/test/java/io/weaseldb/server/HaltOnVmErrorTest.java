package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The process handler, in a child JVM (it halts the process): a VM error ends the process with status 3, others do not. */
class HaltOnVmErrorTest {
    /** The child: installs the handler, lets a thread die of {@code args[0]}, and reports if the process goes on. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            HaltOnVmError.install();
            Throwable death = switch (args[0]) {
                case "oom" -> new OutOfMemoryError("test: Java heap space");
                case "stack" -> new StackOverflowError("test");
                default -> new IllegalStateException("test: an ordinary failure");
            };
            Thread dying = (args[1].equals("virtual") ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
                if (death instanceof Error e) throw e;
                throw (RuntimeException) death;
            });
            dying.join();
            System.out.println("still running");
            System.exit(0);
        }
    }

    private static String[] run(String error, String threadKind) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), Child.class.getName(),
            error, threadKind)).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child ended");
        return new String[] {Integer.toString(p.exitValue()), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    @Test
    void anOutOfMemoryErrorHaltsWithStatus3() throws Exception {
        for (String kind : List.of("virtual", "platform")) {
            String[] r = run("oom", kind);
            assertEquals("3", r[0], kind + ": " + r[1]);
            assertTrue(r[1].contains("weaseldb: FATAL") && !r[1].contains("still running"), kind + ": " + r[1]);
        }
        assertEquals("3", run("stack", "virtual")[0]);
    }

    @Test
    void anOrdinaryExceptionIsPrintedAndTheProcessGoesOn() throws Exception {
        String[] r = run("other", "platform");
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("Exception in thread") && r[1].contains("an ordinary failure") && r[1].contains("still running"), r[1]);
    }
}
