package org.ashmemd.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Prometheus text format read back: samples by "name{labels}" exactly as written, and each
 * family's HELP and TYPE.
 */
final class Exposition {
    final Map<String, Double> samples = new LinkedHashMap<>();
    final Map<String, String> help = new LinkedHashMap<>();
    final Map<String, String> type = new LinkedHashMap<>();

    static Exposition parse(String text) {
        Exposition e = new Exposition();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# HELP ")) {
                String[] w = line.substring(7).split(" ", 2);
                e.help.put(w[0], w.length > 1 ? w[1] : "");
            } else if (line.startsWith("# TYPE ")) {
                String[] w = line.substring(7).split(" ", 2);
                e.type.put(w[0], w[1]);
            } else if (!line.startsWith("#")) {
                int sp = line.lastIndexOf(' ');
                e.samples.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
            }
        }
        return e;
    }

    /** The value of a sample, or null. */
    Double get(String key) {
        return samples.get(key);
    }

    boolean hasFamily(String name) {
        return type.containsKey(name);
    }
}
