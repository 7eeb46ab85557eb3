package dev.arbiter.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.config.ConfigException;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Keys as JSON, for the admin API and the PostgreSQL store: {@code name, team, user, models, priority,
 * max_priority, expires_at} (ISO-8601) or {@code expires_in} (seconds) on create, {@code limits: {rps, rpm, rpd,
 * tpm, concurrency}}, {@code budget: {daily_usd, monthly_usd}}, {@code metadata: {string: string}}. The secret is
 * never part of it; listings show {@code prefix}.
 */
final class KeyJson {
    private static final Set<String> FIELDS = Set.of("name", "team", "user", "models", "priority", "max_priority",
            "expires_at", "expires_in", "limits", "budget", "metadata");

    private KeyJson() {
    }

    static ObjectNode spec(KeySpec s) {
        ObjectNode n = Json.object();
        n.put("name", s.name());
        n.put("team", s.team().isEmpty() ? null : s.team());
        n.put("user", s.user().isEmpty() ? null : s.user());
        var models = n.putArray("models");
        s.models().forEach(models::add);
        n.put("priority", s.priority().label());
        n.put("max_priority", s.maxPriority().label());
        n.put("expires_at", s.expiresAt().equals(KeySpec.NEVER) ? null : s.expiresAt().toString());
        var l = n.putObject("limits");
        l.put("rps", s.limits().rps());
        l.put("rpm", s.limits().rpm());
        l.put("rpd", s.limits().rpd());
        l.put("tpm", s.limits().tpm());
        l.put("concurrency", s.limits().concurrency());
        var b = n.putObject("budget");
        b.put("daily_usd", s.budget().dailyUsd());
        b.put("monthly_usd", s.budget().monthlyUsd());
        var m = n.putObject("metadata");
        s.metadata().forEach(m::put);
        return n;
    }

    /** A key as listed: its id, prefix, source, state and spec; never its secret or hash. */
    static ObjectNode listed(ApiKey k, Instant now) {
        ObjectNode n = Json.object();
        n.put("id", k.id());
        n.put("prefix", k.prefix());
        n.put("source", k.source());
        n.put("created_at", k.createdAt().toString());
        n.put("revoked_at", k.revoked() ? k.revokedAt().toString() : null);
        n.put("status", k.revoked() ? "revoked" : k.expired(now) ? "expired" : "active");
        n.setAll(spec(k.spec()));
        return n;
    }

    /** A spec from an admin request's body; a {@code BadRequest} naming the field when it is not one. */
    static KeySpec parse(JsonNode body, Instant now) {
        if (!body.isObject()) throw new ArbiterException.BadRequest("Expected a JSON object describing the key", null);
        for (String f : (Iterable<String>) body::fieldNames) {
            if (!FIELDS.contains(f)) throw new ArbiterException.BadRequest("Unknown field '" + Untrusted.text(f) + "' (expected: one of "
                    + String.join(", ", FIELDS.stream().sorted().toList()) + ")", Untrusted.text(f));
        }
        try {
            Instant expires = null;
            if (body.hasNonNull("expires_at")) {
                try {
                    expires = Instant.parse(text(body, "expires_at"));
                } catch (DateTimeParseException e) {
                    throw new ArbiterException.BadRequest("expires_at: expected an ISO-8601 instant such as 2027-01-31T00:00:00Z", "expires_at");
                }
            }
            if (body.hasNonNull("expires_in")) {
                long s = number(body, "expires_in");
                if (s <= 0) throw new ArbiterException.BadRequest("expires_in: " + s + " (expected: seconds > 0)", "expires_in");
                expires = now.plus(Duration.ofSeconds(s));
            }
            var models = new ArrayList<String>();
            JsonNode ms = body.path("models");
            if (!ms.isMissingNode() && !ms.isNull()) {
                if (!ms.isArray()) throw new ArbiterException.BadRequest("models: expected a list of model names or patterns", "models");
                for (JsonNode m : ms) {
                    if (!m.isTextual()) throw new ArbiterException.BadRequest("models: expected strings", "models");
                    models.add(m.asText());
                }
            }
            JsonNode l = body.path("limits");
            var limits = new KeyLimits(number(l, "rps"), number(l, "rpm"), number(l, "rpd"), number(l, "tpm"), number(l, "concurrency"));
            JsonNode b = body.path("budget");
            var budget = new KeyBudget(decimal(b, "daily_usd"), decimal(b, "monthly_usd"));
            var metadata = new LinkedHashMap<String, String>();
            JsonNode md = body.path("metadata");
            if (!md.isMissingNode() && !md.isNull()) {
                if (!md.isObject()) throw new ArbiterException.BadRequest("metadata: expected an object of strings", "metadata");
                md.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            }
            return new KeySpec(text(body, "name"), text(body, "team"), text(body, "user"), models, priority(body, "priority"),
                    priority(body, "max_priority"), expires, limits, budget, metadata);
        } catch (ConfigException e) {
            throw new ArbiterException.BadRequest(Untrusted.text(String.join("; ", e.problems())), null);
        }
    }

    /** A spec read back from the store (written by {@link #spec}). */
    static KeySpec stored(JsonNode n) {
        List<String> models = new ArrayList<>();
        n.path("models").forEach(m -> models.add(m.asText()));
        var metadata = new LinkedHashMap<String, String>();
        n.path("metadata").properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
        JsonNode l = n.path("limits");
        JsonNode b = n.path("budget");
        return new KeySpec(n.path("name").asText(), n.path("team").asText(""), n.path("user").asText(""), models,
                Priority.parse(n.path("priority").asText()).orElse(null), Priority.parse(n.path("max_priority").asText()).orElse(null),
                n.hasNonNull("expires_at") ? Instant.parse(n.path("expires_at").asText()) : null,
                new KeyLimits(l.path("rps").asLong(), l.path("rpm").asLong(), l.path("rpd").asLong(), l.path("tpm").asLong(), l.path("concurrency").asLong()),
                new KeyBudget(b.path("daily_usd").asDouble(), b.path("monthly_usd").asDouble()), metadata);
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.path(f);
        if (v.isMissingNode() || v.isNull()) return null;
        if (!v.isTextual()) throw new ArbiterException.BadRequest(f + ": expected a string", f);
        return v.asText();
    }

    private static long number(JsonNode n, String f) {
        JsonNode v = n.path(f);
        if (v.isMissingNode() || v.isNull()) return 0;
        if (!v.canConvertToLong() || !v.isIntegralNumber()) throw new ArbiterException.BadRequest(f + ": expected a whole number", f);
        return v.asLong();
    }

    private static double decimal(JsonNode n, String f) {
        JsonNode v = n.path(f);
        if (v.isMissingNode() || v.isNull()) return 0;
        if (!v.isNumber()) throw new ArbiterException.BadRequest(f + ": expected a number", f);
        return v.asDouble();
    }

    private static Priority priority(JsonNode n, String f) {
        String s = text(n, f);
        if (s == null) return null;
        return Priority.parse(s).orElseThrow(() -> new ArbiterException.BadRequest(f + ": expected critical, high, normal or low", f));
    }
}
