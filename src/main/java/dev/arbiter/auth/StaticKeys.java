package dev.arbiter.auth;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Secret;
import dev.arbiter.config.Section;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * The top-level {@code keys:} list: API keys declared in the config file for small setups, each
 * {@code {name, key: ${VAR}, team, user, models, limits, budget, priority, max-priority}}. Their secrets come from
 * the environment (a literal works, and is never shown).
 */
public record StaticKeys(List<Entry> keys) {
    public static final StaticKeys NONE = new StaticKeys(List.of());

    public static final Section<StaticKeys> SECTION = Section.top("keys", NONE, StaticKeys::bind);

    /** One declared key. */
    public record Entry(KeySpec spec, Secret secret) {
        @Override
        public String toString() {
            return "Entry[" + spec.name() + "]";
        }
    }

    public StaticKeys {
        keys = List.copyOf(keys);
        var names = new HashSet<String>();
        var hashes = new HashSet<String>();
        for (int i = 0; i < keys.size(); i++) {
            Entry e = keys.get(i);
            ConfigException.require(names.add(e.spec().name()), "keys[" + i + "].name", e.spec().name(), "a name no other key has");
            ConfigException.require(e.secret().reveal().length() >= 16, "keys[" + i + "].key", e.secret(), "at least 16 characters");
            ConfigException.require(hashes.add(KeyHash.of(e.secret().reveal())), "keys[" + i + "].key", e.secret(),
                    "a secret no other key has");
        }
    }

    private static StaticKeys bind(ConfigNode n) {
        var out = new ArrayList<Entry>();
        for (ConfigNode item : n.items()) {
            Secret secret = item.secret("key");
            if (secret == null && !item.has("key")) item.problem(item.path() + ".key", "(missing)", "the key's secret, e.g. ${TEAM_A_KEY}");
            String name = item.string("name", null);
            String team = item.string("team", null);
            String user = item.string("user", null);
            List<String> models = item.strings("models");
            Priority prio = priority(item, "priority");
            Priority max = priority(item, "max-priority");
            KeyLimits limits = item.build(() -> KeyLimits.bind(item.child("limits")));
            KeyBudget budget = item.build(() -> KeyBudget.bind(item.child("budget")));
            KeySpec spec = item.build(() -> new KeySpec(name, team, user, models, prio, max, null, limits, budget, Map.of()));
            if (spec != null && secret != null) out.add(new Entry(spec, secret));
        }
        return n.build(() -> new StaticKeys(out));
    }

    private static Priority priority(ConfigNode item, String key) {
        String s = item.string(key, null);
        if (s == null) return null;
        var p = Priority.parse(s);
        if (p.isEmpty()) item.problem(item.path() + "." + key, s, "critical, high, normal or low");
        return p.orElse(null);
    }
}
