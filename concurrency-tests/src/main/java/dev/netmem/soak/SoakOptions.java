package dev.netmem.soak;

/**
 * The soak's options, validated ({@link SoakMain} parses the command line).
 *
 * @param seconds  how long traffic runs
 * @param seed     the seed of every random choice (chaos, delays, injected failures)
 * @param failRate the probability that a provider allocation fails
 * @param kills    consumer processes to SIGKILL (alternating dmabuf and user-ring demos)
 * @param json     print the report as one JSON line on stdout (the text goes to stderr)
 */
record SoakOptions(int seconds, long seed, double failRate, int kills, boolean json) {
    /** Rejects out-of-range values with {@link IllegalArgumentException} naming the option. */
    SoakOptions {
        if (seconds < 1 || seconds > 86400) {
            throw new IllegalArgumentException("--seconds must be in [1, 86400]: " + seconds);
        }
        if (!(failRate >= 0 && failRate <= 0.5)) {
            throw new IllegalArgumentException("--fail-rate must be in [0, 0.5]: " + failRate);
        }
        if (kills < 0 || kills > 100) {
            throw new IllegalArgumentException("--kills must be in [0, 100]: " + kills);
        }
    }
}
