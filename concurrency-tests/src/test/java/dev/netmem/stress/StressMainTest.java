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
    void rejectsBadUsage() throws Exception {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8);
        assertEquals(2, StressMain.run(new String[] {"--frobnicate"}, out, err));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("unknown option: --frobnicate"));
        assertEquals(2, StressMain.run(new String[] {"--tests"}, out, err));
        assertEquals(0, StressMain.run(new String[] {"--help"}, out, err));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("usage: ./netmem stress"));
    }
}
