package dev.netmem.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jcstress.annotations.Expect;

/** The stress runner's verdict and usage; the jcstress run itself is the integration-test phase. */
class StressMainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private static StressMain.TestSummary summary(String name, long ok, long forbidden, List<String> errors) {
        return new StressMain.TestSummary(name, Map.of("0, 1", ok, "1, 1", forbidden),
                Map.of("0, 1", Expect.ACCEPTABLE, "1, 1", Expect.FORBIDDEN), ok + forbidden, forbidden, 1, errors);
    }

    @Test
    void passesOnlyWithoutForbiddenOutcomesOrErrors() throws Exception {
        Path json = dir.resolve("s.json");
        assertEquals(0, StressMain.report("quick", 1, List.of(summary("dev.netmem.stress.A", 10, 0, List.of())), out,
                json));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("forbidden outcomes: 0 of 10 samples; test errors: 0; PASS"));
        assertTrue(Files.readString(json).contains("\"forbidden\": 0"));

        assertEquals(1, StressMain.report("quick", 1, List.of(summary("dev.netmem.stress.A", 10, 3, List.of())), out,
                json));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("[1, 1]               3  FORBIDDEN"));
        assertTrue(Files.readString(json).contains("\"forbidden\": 3"));

        assertEquals(1, StressMain.report("quick", 1, List.of(summary("dev.netmem.stress.A", 10, 0,
                List.of("TEST_ERROR: boom"))), out, json));
        assertEquals(1, StressMain.report("quick", 1, List.of(), out, json), "no test ran");
        assertEquals(1, StressMain.report("quick", 1, List.of(summary("dev.netmem.stress.A", 0, 0, List.of())), out,
                json), "a test without samples");
    }

    @Test
    void rejectsBadUsageInOneLineWithExit2BeforeRunningAnything() throws Exception {
        assertUsage("netmem stress: Unknown option: '--frobnicate'", "--frobnicate");
        assertUsage("netmem stress: Missing required parameter for option '--tests' (REGEX)", "--tests");
        assertUsage("netmem stress: give --quick or --full, not both", "--quick", "--full");
        assertUsage("netmem stress: --tests is not a regular expression: Unclosed character class at index 0 of [",
                "--tests", "[");
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(2, StressMain.run(new String[] {"--tests", "NoSuchTest"}, out,
                new PrintStream(e, true, StandardCharsets.UTF_8)));
        assertTrue(e.toString(StandardCharsets.UTF_8).startsWith(
                "netmem stress: --tests NoSuchTest matches no test; the tests: "), e.toString(StandardCharsets.UTF_8));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("RingVsNapiStress"), e.toString(StandardCharsets.UTF_8));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
        assertEquals(0, StressMain.run(new String[] {"--help"}, out, System.err));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("Usage: netmem stress [-h] [--debug] [--full]"),
                bytes.toString(StandardCharsets.UTF_8));
    }

    private void assertUsage(String message, String... args) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(2, StressMain.run(args, out, new PrintStream(e, true, StandardCharsets.UTF_8)));
        assertEquals(message + " (see ./netmem stress --help)\n", e.toString(StandardCharsets.UTF_8));
    }
}
