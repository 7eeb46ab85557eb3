package dev.arbiter.limit;

import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.wire.TokenCounter;

/**
 * A stream's usage as it passes ({@link #frame} for each frame): as the upstream reported it, else counted with the
 * tokenizer from the request and the streamed text. For stages that settle something when a stream ends.
 */
public final class StreamUsage {
    private final LlmRequest request;
    private volatile Usage reported;
    private final StringBuilder text = new StringBuilder();

    public StreamUsage(LlmRequest request) {
        this.request = request;
    }

    public void frame(Frame f) {
        for (StreamEvent e : f.events()) {
            switch (e) {
                case StreamEvent.UsageReported u -> reported = u.usage();
                case StreamEvent.TextDelta t -> {
                    if (reported == null) text.append(t.text());
                }
                default -> { }
            }
        }
    }

    public Usage usage() {
        Usage r = reported;
        if (r != null && r.inputTokens() + r.outputTokens() > 0) return r;
        return Usage.of(TokenCounter.countInput(request), TokenCounter.count(text.toString()));
    }
}
