package dev.arbiter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code arbiter keys create|list|revoke}: manages virtual API keys through a running gateway's admin API
 * ({@code /admin/keys}), authenticated with the admin key ({@code --admin-key} or {@code ARBITER_ADMIN_KEY}).
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list and revoke API keys of a running gateway.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the gateway is and the admin key; shared by the subcommands. */
    static final class Target {
        @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "the gateway (default: ${DEFAULT-VALUE})")
        String url;

        @Option(names = "--admin-key", description = "the admin key (default: $ARBITER_ADMIN_KEY)")
        String adminKey;

        HttpResponse<String> send(String method, String path, JsonNode body) throws Exception {
            String key = adminKey != null ? adminKey : System.getenv("ARBITER_ADMIN_KEY");
            var b = HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/admin/" + path)).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
            if (body != null) b.header("content-type", "application/json");
            if (key != null && !key.isEmpty()) b.header("authorization", "Bearer " + key);
            try (var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            }
        }
    }

    private static int report(CommandLine.Model.CommandSpec spec, HttpResponse<String> r) {
        if (r.statusCode() / 100 == 2) return 0;
        String msg = r.body();
        try {
            msg = Json.parse(r.body()).path("error").path("message").asText(r.body());
        } catch (RuntimeException ignored) {
            // not JSON: show it as it came
        }
        spec.commandLine().getErr().println("error: " + r.statusCode() + " " + msg);
        return 1;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key; its secret is printed this once.")
    static final class Create implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--name", required = true) String name;
        @Option(names = "--team") String team;
        @Option(names = "--user") String user;
        @Option(names = "--models", split = ",", description = "allowed models, wildcards allowed (default: all)") List<String> models;
        @Option(names = "--priority") String priority;
        @Option(names = "--max-priority") String maxPriority;
        @Option(names = "--expires-in", description = "seconds until it expires") Long expiresIn;
        @Option(names = "--rps") Long rps;
        @Option(names = "--rpm") Long rpm;
        @Option(names = "--rpd") Long rpd;
        @Option(names = "--tpm") Long tpm;
        @Option(names = "--concurrency") Long concurrency;
        @Option(names = "--daily-usd") Double dailyUsd;
        @Option(names = "--monthly-usd") Double monthlyUsd;

        @Override
        public Integer call() throws Exception {
            ObjectNode b = Json.object();
            b.put("name", name);
            if (team != null) b.put("team", team);
            if (user != null) b.put("user", user);
            if (models != null) models.forEach(b.putArray("models")::add);
            if (priority != null) b.put("priority", priority);
            if (maxPriority != null) b.put("max_priority", maxPriority);
            if (expiresIn != null) b.put("expires_in", expiresIn);
            ObjectNode l = b.putObject("limits");
            if (rps != null) l.put("rps", rps);
            if (rpm != null) l.put("rpm", rpm);
            if (rpd != null) l.put("rpd", rpd);
            if (tpm != null) l.put("tpm", tpm);
            if (concurrency != null) l.put("concurrency", concurrency);
            ObjectNode bu = b.putObject("budget");
            if (dailyUsd != null) bu.put("daily_usd", dailyUsd);
            if (monthlyUsd != null) bu.put("monthly_usd", monthlyUsd);
            var r = target.send("POST", "keys", b);
            if (report(spec, r) != 0) return 1;
            JsonNode k = Json.parse(r.body());
            var out = spec.commandLine().getOut();
            out.println("id:  " + k.path("id").asText());
            out.println("key: " + k.path("key").asText());
            out.println("(the key is shown this once; Arbiter keeps only its hash)");
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (by prefix; secrets are never shown).")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Target target = new Target();

        @Override
        public Integer call() throws Exception {
            var r = target.send("GET", "keys", null);
            if (report(spec, r) != 0) return 1;
            var out = spec.commandLine().getOut();
            out.printf("%-28s %-14s %-20s %-12s %-8s %s%n", "ID", "PREFIX", "NAME", "TEAM", "STATUS", "MODELS");
            for (JsonNode k : Json.parse(r.body()).path("data")) {
                out.printf("%-28s %-14s %-20s %-12s %-8s %s%n", k.path("id").asText(), k.path("prefix").asText() + "...",
                        k.path("name").asText(), k.path("team").asText("-"), k.path("status").asText(),
                        k.path("models").isEmpty() ? "*" : k.path("models").toString());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by id (at once on that gateway).")
    static final class Revoke implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Target target = new Target();
        @Parameters(index = "0", description = "the key's id (vk_...)") String id;

        @Override
        public Integer call() throws Exception {
            var r = target.send("DELETE", "keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null);
            if (report(spec, r) != 0) return 1;
            spec.commandLine().getOut().println("revoked " + id);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
