package dev.netmem.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CrossProcessChild} in its own JVM: the current {@code java}, with this JVM's module and
 * class path plus the test classes on its class path. Lines go in on stdin and come back on stdout;
 * stderr goes to a file shown when something fails. {@link #close()} kills a child that did not exit.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final PrintStream in;
    private final BufferedReader out;
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts {@code CrossProcessChild args...}; its stderr goes to a file in {@code dir}. */
    public static ChildJvm start(Path dir, String... args) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:ActiveProcessorCount=1", "-cp", classPath(), CrossProcessChild.class.getName()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "child-", ".stderr");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        return new ChildJvm(p, err);
    }

    private static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        try {
            // .../test-classes/dev/netmem/providers/CrossProcessChild.class: surefire may patch the test
            // classes into the module, so find them through the class file itself.
            Path cls = Path.of(CrossProcessChild.class.getResource("CrossProcessChild.class").toURI());
            entries.add(cls.getParent().getParent().getParent().getParent().toString());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop);
            if (v != null && !v.isEmpty()) {
                entries.addAll(List.of(v.split(File.pathSeparator)));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Sends one line. */
    public void send(String line) {
        in.println(line);
    }

    /** Reads one line. */
    public String read() throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IllegalStateException("child exited early; stderr:\n" + Files.readString(stderr));
        }
        return line;
    }

    /** Reads one line and asserts it. */
    public void expect(String line) throws IOException {
        assertEquals(line, read(), () -> stderrText());
    }

    /** Waits for the child to exit and asserts status 0. */
    public void awaitSuccess() throws InterruptedException {
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "child did not exit");
        assertEquals(0, process.exitValue(), this::stderrText);
    }

    private String stderrText() {
        try {
            return "child stderr:\n" + Files.readString(stderr);
        } catch (IOException e) {
            return "child stderr unreadable: " + e;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
