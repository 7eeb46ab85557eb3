package dev.arbiter.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.wire.Json;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prompt and completion logging, only when {@code observe.log-content} turns it on: one line per request on the
 * logger {@code arbiter.content}, a JSON object with the request id, the caller id, the model asked for, the prompt
 * (each message as {@code role: text}, or a completion's or embedding's input) and the completion's text (a stream's
 * text deltas, gathered as they pass, at most {@code max-chars} kept), or the error code of a failed request. Both
 * texts are redacted and cut ({@link ContentLogConfig#redacted}); the logger's own line converter escapes control
 * characters. Sits after authentication, so the caller is known and a refused request's prompt is never logged.
 */
public final class ContentLogStage implements Stage {
    private static final Logger log = LoggerFactory.getLogger("arbiter.content");

    private final ContentLogConfig config;

    public ContentLogStage(ContentLogConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "log-content";
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Reply reply;
        try {
            reply = next.proceed(exchange);
        } catch (ArbiterException e) {
            write(exchange, null, e.code() == null ? "error" : e.code());
            throw e;
        }
        return switch (reply) {
            case Reply.Complete c -> {
                write(exchange, completion(c.response()), null);
                yield c;
            }
            case Reply.Streaming s -> {
                var text = new StringBuilder();
                int keep = 4 * config.maxChars();   // enough for redaction to see whole secrets before the cut
                yield s.withStream(Streams.observe(s.stream(), f -> {
                    for (StreamEvent e : f.events()) {
                        if (e instanceof StreamEvent.TextDelta d && text.length() < keep) {
                            text.append(d.text(), 0, Math.min(d.text().length(), keep - text.length()));
                        }
                    }
                }, () -> write(exchange, text.toString(), null)));
            }
        };
    }

    private void write(Exchange ex, String completion, String error) {
        if (!log.isInfoEnabled()) return;
        try {
            ObjectNode line = Json.MAPPER.createObjectNode();
            line.put("request_id", ex.requestId());
            line.put("caller", ex.trace().caller().orElse(ex.caller()).id());
            line.put("model", config.redacted(ex.request().model()));
            line.put("prompt", config.redacted(prompt(ex.request())));
            if (completion != null) line.put("completion", config.redacted(completion));
            if (error != null) line.put("error", error);
            log.info("{}", Json.MAPPER.writeValueAsString(line));
        } catch (JsonProcessingException | RuntimeException e) {
            // a log line that cannot be written never fails the request
            log.debug("content line not written: {}", e.toString());
        }
    }

    private static String prompt(LlmRequest r) {
        var sb = new StringBuilder();
        for (Message m : r.messages()) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(m.role().name().toLowerCase(Locale.ROOT)).append(": ").append(m.text());
        }
        JsonNode input = r.input();
        if (input != null && !input.isNull()) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(input.isTextual() ? input.asText() : input.toString());
        }
        return sb.toString();
    }

    private static String completion(LlmResponse r) {
        var sb = new StringBuilder();
        for (var c : r.choices()) {
            if (c.message() == null) continue;
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(c.message().text());
        }
        return sb.toString();
    }
}
