package dev.arbiter.pipeline;

/**
 * Who sent a request. Until API keys exist every caller is {@link #ANONYMOUS}; stored objects (responses,
 * later budgets and limits) are scoped by {@link #id()}.
 */
public record Caller(String id) {
    public static final Caller ANONYMOUS = new Caller("anonymous");

    public Caller {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("caller id must not be blank");
    }
}
