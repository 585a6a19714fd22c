package dev.netmem.soak;

import java.util.List;

/**
 * The soak's command line.
 *
 * @param seconds  how long traffic runs
 * @param seed     the seed of every random choice (chaos, delays, injected failures)
 * @param failRate the probability that a provider allocation fails
 * @param kills    consumer processes to SIGKILL (alternating dmabuf and user-ring demos)
 * @param json     print the report as one JSON line on stdout (the text goes to stderr)
 */
record SoakOptions(int seconds, long seed, double failRate, int kills, boolean json) {
    static final String USAGE = """
            usage: ./netmem soak [--seconds N] [--seed S] [--fail-rate R] [--kills K] [--json]
              --seconds N    traffic time, 1..86400 (default 60)
              --seed S       seed of every random choice (default: random, printed)
              --fail-rate R  provider allocation failure probability, 0..0.5 (default 0.01)
              --kills K      consumer processes to SIGKILL while they hold buffers (default 2: dmabuf, user-ring)
              --json         one JSON line on stdout, the text report on stderr
            exit 0 only if no invariant was violated and nothing leaked; 1 otherwise; 2 on bad usage""";

    /** Parses {@code args}; throws {@link IllegalArgumentException} with the message to print. */
    static SoakOptions parse(List<String> args, long randomSeed) {
        int seconds = 60;
        long seed = randomSeed;
        double failRate = 0.01;
        int kills = 2;
        boolean json = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--json" -> json = true;
                case "--seconds", "--seed", "--fail-rate", "--kills" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    String v = args.get(++i);
                    try {
                        switch (a) {
                            case "--seconds" -> seconds = Integer.parseInt(v);
                            case "--seed" -> seed = Long.parseLong(v);
                            case "--fail-rate" -> failRate = Double.parseDouble(v);
                            default -> kills = Integer.parseInt(v);
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(a + " must be a number: " + v);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        if (seconds < 1 || seconds > 86400) {
            throw new IllegalArgumentException("--seconds must be in [1, 86400]: " + seconds);
        }
        if (!(failRate >= 0 && failRate <= 0.5)) {
            throw new IllegalArgumentException("--fail-rate must be in [0, 0.5]: " + failRate);
        }
        if (kills < 0 || kills > 100) {
            throw new IllegalArgumentException("--kills must be in [0, 100]: " + kills);
        }
        return new SoakOptions(seconds, seed, failRate, kills, json);
    }
}
