package dev.netmem.rxqueue.stack;

/**
 * {@code struct dmabuf_token}: a run of tokens to return with {@link DevmemSocket#dontneed}.
 *
 * @param tokenStart first token
 * @param tokenCount number of consecutive tokens, at least 0
 */
public record DmabufToken(int tokenStart, int tokenCount) {
    /** Validates. */
    public DmabufToken {
        if (tokenCount < 0) {
            throw new IllegalArgumentException("tokenCount must be >= 0: " + tokenCount);
        }
    }

    /** A single token. */
    public static DmabufToken of(int token) {
        return new DmabufToken(token, 1);
    }
}
