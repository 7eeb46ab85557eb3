package dev.arbiter.limit;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one request took from the rate limits: the counts to correct or give back, the concurrency slots to release,
 * and the OpenAI-style {@code x-ratelimit-*} headers of its tightest request rule and tightest token rule. Settled
 * once ({@link #settle} with the real usage, or {@link #giveBack} when no model was called).
 */
public final class Admission {
    private record Taken(String key, Rule rule, long cost) {}

    private final RateLimits limits;
    private final List<Taken> taken = new ArrayList<>(4);
    private final List<AtomicInteger> slots = new ArrayList<>(1);
    private final AtomicBoolean settled = new AtomicBoolean();
    private Rule requests;
    private RateLimiter.Decision requestsSeen;
    private Rule tokens;
    private RateLimiter.Decision tokensSeen;
    private InputTokens counted;

    Admission(RateLimits limits) {
        this.limits = limits;
    }

    void saw(Rule r, RateLimiter.Decision d) {
        if (r.dimension() == Rule.Dimension.REQUESTS) {
            if (requestsSeen == null || !d.allowed() || d.remaining() < requestsSeen.remaining() && requestsSeen.allowed()) {
                requests = r;
                requestsSeen = d;
            }
        } else if (tokensSeen == null || !d.allowed() || d.remaining() < tokensSeen.remaining() && tokensSeen.allowed()) {
            tokens = r;
            tokensSeen = d;
        }
    }

    void counted(InputTokens input) {
        counted = input;
    }

    /** The input tokens counted for a token rule's estimate, to hand on to the stages after this one; null when none. */
    InputTokens counted() {
        return counted;
    }

    void took(String key, Rule r, long cost) {
        taken.add(new Taken(key, r, cost));
    }

    void holding(AtomicInteger slot) {
        slots.add(slot);
    }

    /** Whether no limit applied to the request: nothing to settle, no headers. */
    boolean none() {
        return requests == null && tokens == null && taken.isEmpty() && slots.isEmpty();
    }

    /** The {@code x-ratelimit-*} headers (none when no rule applied). */
    public Map<String, String> headers() {
        var h = new LinkedHashMap<String, String>();
        if (requests != null) {
            h.put("x-ratelimit-limit-requests", Long.toString(requests.limit()));
            h.put("x-ratelimit-remaining-requests", Long.toString(requestsSeen.remaining()));
            h.put("x-ratelimit-reset-requests", duration(requestsSeen.resetMillis()));
        }
        if (tokens != null) {
            h.put("x-ratelimit-limit-tokens", Long.toString(tokens.limit()));
            h.put("x-ratelimit-remaining-tokens", Long.toString(tokensSeen.remaining()));
            h.put("x-ratelimit-reset-tokens", duration(tokensSeen.resetMillis()));
        }
        return h;
    }

    ArbiterException headers(ArbiterException e) {
        headers().forEach(e::withHeader);
        return e;
    }

    /** The request was answered with this usage: token rules are corrected from the estimate to it; slots released. */
    public void settle(Usage usage) {
        if (!settled.compareAndSet(false, true)) return;
        long actual = usage.inputTokens() + usage.outputTokens();
        for (Taken t : taken) {
            if (t.rule().dimension() == Rule.Dimension.TOKENS) limits.adjust(t.key(), t.rule(), actual - t.cost());
        }
        release();
    }

    /** No model was called (refused, failed before an answer): requests stay counted, tokens are given back. */
    public void giveBack() {
        if (!settled.compareAndSet(false, true)) return;
        for (Taken t : taken) {
            if (t.rule().dimension() == Rule.Dimension.TOKENS) limits.adjust(t.key(), t.rule(), -t.cost());
        }
        release();
    }

    /** Refused by a later tier: everything taken is given back, requests too. */
    void rollBack() {
        for (Taken t : taken) limits.adjust(t.key(), t.rule(), -t.cost());
        taken.clear();
    }

    private void release() {
        slots.forEach(AtomicInteger::decrementAndGet);
        slots.clear();
    }

    /** A wait as OpenAI writes it in {@code x-ratelimit-reset-*}: {@code 20ms}, {@code 1.5s}, {@code 6m0s}. */
    static String duration(long millis) {
        if (millis < 1000) return Math.max(0, millis) + "ms";
        if (millis < 60_000) {
            return millis % 1000 == 0 ? millis / 1000 + "s" : String.format(java.util.Locale.ROOT, "%.3fs", millis / 1000.0)
                    .replaceAll("0+s$", "s");
        }
        long s = millis / 1000;
        if (s < 3600) return s / 60 + "m" + s % 60 + "s";
        return s / 3600 + "h" + s % 3600 / 60 + "m" + s % 60 + "s";
    }
}
