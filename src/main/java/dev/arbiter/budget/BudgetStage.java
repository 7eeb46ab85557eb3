package dev.arbiter.budget;

import dev.arbiter.auth.ApiKey;
import dev.arbiter.auth.KeyBudget;
import dev.arbiter.config.PriceConfig;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.Redis;
import dev.arbiter.limit.InputTokens;
import dev.arbiter.limit.StreamUsage;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Usage;
import dev.arbiter.observe.Cost;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Holds every request to the budgets of its key, team and user ({@link Spend}): reserves its estimated cost before
 * the call (input counted by the tokenizer, output as {@code max_tokens} or {@code budgets.assumed-output-tokens},
 * at the highest prices among the model's deployments), refuses it with 429 {@code budget_exceeded} when a budget
 * would be passed, and settles the real cost (usage x the answering deployment's prices) when the answer is complete
 * or the stream ends. Every operation that calls a model counts (chat, completions, embeddings, Messages, Responses,
 * streams); stored-response reads and {@code count_tokens} cost nothing and pass.
 */
public final class BudgetStage implements Stage {
    private final BudgetConfig config;
    private final Spend spend;
    private final Function<String, Optional<PriceConfig>> modelPrice;
    private final BiFunction<String, String, Optional<PriceConfig>> deploymentPrice;

    /**
     * @param redis           the shared Redis, or null: budgets are checked per gateway
     * @param modelPrice      a requested model's highest prices among its deployments
     * @param deploymentPrice a model's deployment's prices
     */
    public BudgetStage(BudgetConfig config, Postgres postgres, Redis redis, Function<String, Optional<PriceConfig>> modelPrice,
                       BiFunction<String, String, Optional<PriceConfig>> deploymentPrice, MeterRegistry metrics, InstantSource clock) {
        this.config = config;
        this.spend = new Spend(postgres == null ? SpendStore.NONE : new PostgresSpendStore(postgres),
                redis == null ? null : new SharedSpend(redis, "arbiter:budget:", System::nanoTime), config.alertAt(), clock, metrics);
        this.modelPrice = modelPrice;
        this.deploymentPrice = deploymentPrice;
    }

    public Spend spend() {
        return spend;
    }

    List<Spend.Scope> scopes(Exchange ex) {
        var out = new ArrayList<Spend.Scope>(3);
        Optional<ApiKey> key = ex.attribute(ApiKey.KEY);
        if (key.isPresent()) {
            KeyBudget b = key.get().spec().budget();
            var limit = b.dailyUsd() == 0 && b.monthlyUsd() == 0 ? BudgetConfig.Limit.NONE : new BudgetConfig.Limit(b.dailyUsd(), b.monthlyUsd());
            out.add(new Spend.Scope("key", "key:" + key.get().id(), limit));
        }
        String team = ex.caller().team();
        if (!team.isEmpty()) out.add(new Spend.Scope("team", "team:" + team, config.teams().getOrDefault(team, config.team())));
        String user = ex.caller().user();
        if (!user.isEmpty()) out.add(new Spend.Scope("user", "user:" + user, config.user()));
        return out;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Operation op = exchange.request().operation();
        if (op == Operation.STORED_RESPONSE || op == Operation.COUNT_TOKENS) return next.proceed(exchange);
        List<Spend.Scope> scopes = scopes(exchange);
        if (scopes.isEmpty()) return next.proceed(exchange);
        // only a limited budget reserves the estimate; spend without a limit is still recorded when settled
        Spend.Reservation r = spend.reserve(scopes, limited(scopes) ? estimate(exchange) : 0);
        Reply reply;
        try {
            reply = next.proceed(exchange);
        } catch (RuntimeException e) {
            r.settle(0);
            throw e;
        }
        return switch (reply) {
            case Reply.Complete c -> {
                r.settle(cost(exchange, c.servedBy(), c.response().usage() == null ? Usage.NONE : c.response().usage()));
                yield c;
            }
            case Reply.Streaming s -> {
                var usage = new StreamUsage(exchange.request());
                yield s.withStream(Streams.observe(s.stream(), usage::frame, () -> r.settle(cost(exchange, s.servedBy(), usage.usage()))));
            }
        };
    }

    private double cost(Exchange exchange, ServedBy by, Usage u) {
        if (by == null) return 0;
        // an answer from the cache, or shared with an identical request in flight (whose leader pays), costs nothing
        if (exchange.trace().cache().filter(c -> c.endsWith("hit")).isPresent()) return 0;
        if ("joined".equals(exchange.trace().notes().get("dedup"))) return 0;
        return Cost.usd(u, deploymentPrice.apply(by.model(), by.deployment()).orElse(PriceConfig.FREE));
    }

    private static boolean limited(List<Spend.Scope> scopes) {
        for (Spend.Scope s : scopes) if (!s.limit().none()) return true;
        return false;
    }

    double estimate(Exchange exchange) {
        LlmRequest req = exchange.request();
        PriceConfig p = req.model() == null ? PriceConfig.FREE : modelPrice.apply(req.model()).orElse(PriceConfig.FREE);
        long out = req.maxTokens() != null ? Math.max(0, req.maxTokens())
                : req.operation() == Operation.EMBEDDING ? 0 : config.assumedOutputTokens();
        return Cost.usd(Usage.of(InputTokens.of(exchange), out), p);
    }

}
