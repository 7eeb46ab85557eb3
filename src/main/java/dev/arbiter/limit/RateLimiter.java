package dev.arbiter.limit;

/**
 * Counts one rule for one key ({@code team:research}, {@code key:vk_...}): in memory ({@link MemoryRateLimiter}) or
 * in Redis ({@link RedisRateLimiter}). {@link #acquire} takes {@code cost} if the rule allows it, atomically;
 * {@link #adjust} corrects a count afterwards (an estimate of tokens replaced by the real usage, a request given back
 * when another tier refused it) and is never refused.
 */
interface RateLimiter {
    /**
     * @param remaining  what is left after this request (if admitted)
     * @param retryAfterMillis when refused: how long until {@code cost} would be allowed
     * @param resetMillis how long until the rule is back to its full allowance
     */
    record Decision(boolean allowed, long remaining, long retryAfterMillis, long resetMillis) {}

    Decision acquire(String key, Rule rule, long cost);

    void adjust(String key, Rule rule, long delta);
}
