package dev.netmem.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void shouldRoundTripTheShapesTheReportUses() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1.5);
        m.put("b", Arrays.asList("x\"y", null, true));
        m.put("c", Map.of());
        m.put("d", 3.0);
        String text = Json.write(m);
        assertEquals("{\n  \"a\": 1.5,\n  \"b\": [\n    \"x\\\"y\",\n    null,\n    true\n  ],\n  \"c\": {},\n  \"d\": 3\n}\n",
                text);
        Map<?, ?> back = (Map<?, ?>) Json.parse(text);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(back.keySet()));
        assertEquals(Arrays.asList("x\"y", null, true), back.get("b"));
    }

    @Test
    void shouldWriteNonFiniteNumbersAsNull() {
        assertEquals("[\n  null\n]\n", Json.write(List.of(Double.NaN)));
    }

    @Test
    void shouldReportTheOffsetOfMalformedInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
        assertEquals("bad JSON at offset 5: expected ':'", e.getMessage());
    }
}
