package dev.arbiter.resilience;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.provider.Deployment;
import dev.arbiter.provider.UpstreamModelList;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Map;

/**
 * The health probes Arbiter sends: {@code models} reads the upstream's model list ({@link UpstreamModelList}, the
 * request the model catalog makes, with the deployment's credentials); {@code completion} asks the deployment's own
 * provider for one token of a fixed prompt (an embedding of it for an embeddings model), through the same code and
 * with the same credentials as a client's request, but outside the breaker, the deployment's in-flight limit and
 * every stage: no caller's data, key or headers are in it. A deployment whose upstream has no model list to read (the
 * in-process mock) or whose model is the client's own ({@code model: "*"}, no name to complete with) gets the other
 * probe where it has one. A completion probe succeeds on an answer, or on a refusal of the request itself (4xx but
 * 408, 409, 425 and 429), as a breaker counts calls: such an upstream is serving.
 */
final class UpstreamProbe implements HealthProbe, AutoCloseable {
    /** The fixed prompt of a completion probe. */
    static final String PROMPT = "ping";

    private final Object lock = new Object();
    private HttpClient client;

    @Override
    public Result probe(Deployment d, boolean embeddings, HealthCheckConfig config) throws InterruptedException {
        boolean listable = UpstreamModelList.listable(d.config());
        boolean completable = !DeploymentConfig.ANY_MODEL.equals(d.upstreamModel()) || !listable;
        boolean models = config.probe() == HealthCheckConfig.Probe.MODELS ? listable : !completable;
        return models ? models(d, config) : completion(d, embeddings, config);
    }

    private Result models(Deployment d, HealthCheckConfig config) throws InterruptedException {
        try {
            List<String> ids = UpstreamModelList.fetch(client(), d.config(), config.timeout());
            return new Result(true, "models: 200 (" + ids.size() + " listed)");
        } catch (HttpTimeoutException e) {
            return new Result(false, "models: timed out");
        } catch (IOException e) {
            // UpstreamModelList's own messages name a status or a shape; the JDK's name a connection failure
            String m = e.getMessage();
            return new Result(false, "models: " + (m != null && (m.startsWith("HTTP ") || m.startsWith("an ")) ? m
                    : "no answer (" + e.getClass().getSimpleName() + ")"));
        }
    }

    private Result completion(Deployment d, boolean embeddings, HealthCheckConfig config) {
        var b = LlmRequest.builder(embeddings ? Operation.EMBEDDING : Operation.CHAT, d.nativeFormat()).model(d.model()).stream(false);
        LlmRequest req = embeddings ? b.input(TextNode.valueOf(PROMPT)).build()
                : b.messages(List.of(Message.text(Role.USER, PROMPT))).maxTokens(1).build();
        var exchange = Exchange.of("health-check", Caller.ANONYMOUS, req, Deadline.after(config.timeout(), System::nanoTime), Map.of());
        try {
            Reply reply = d.provider().call(exchange, d);
            if (reply instanceof Reply.Streaming s) s.stream().close();
            return new Result(true, "completion: 200");
        } catch (ArbiterException e) {
            String what = e instanceof ArbiterException.Upstream u && u.status() > 0 ? Integer.toString(u.status())
                    : e.code() != null ? e.code() : ErrorKind.of(e).openAiType();
            // judged as the breaker judges calls: a refusal of the request itself (a model that wants another token
            // limit, say) shows a working upstream; no answer, a 5xx or a 429 does not
            boolean answered = e instanceof ArbiterException.Upstream u && u.status() >= 400 && u.status() < 500
                    && u.status() != 429 && !Breakers.upstreamsFault(e);
            return new Result(answered, "completion: " + what + (answered ? " (the upstream answered)" : ""));
        }
    }

    /** A plain JDK client of its own, as the model catalog uses: probes are rare and off the request path. */
    private HttpClient client() {
        synchronized (lock) {
            if (client == null) client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            return client;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (client != null) client.shutdownNow();   // close() would wait for a probe to a hanging upstream
            client = null;
        }
    }
}
