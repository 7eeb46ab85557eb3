package dev.arbiter.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin routes of a gateway, matched against a request's method and path (relative to {@code /admin/}).
 * Written by hand rather than mounting each route on Helidon's router: templates need a rest-of-path parameter and
 * the edge needs one place to check the admin key and answer unknown admin paths in the API's error format.
 */
public final class AdminRoutes {
    private final List<AdminRoute> routes;

    public AdminRoutes(List<AdminRoute> routes) {
        var seen = new HashMap<String, AdminRoute>();
        for (AdminRoute r : routes) {
            String shape = r.method() + " " + r.path().replaceAll("\\{[^}]*}", "{}");
            if (seen.putIfAbsent(shape, r) != null) throw new IllegalArgumentException("two admin routes for " + r.method() + " /admin/" + r.path());
        }
        this.routes = List.copyOf(routes);
    }

    public List<AdminRoute> routes() {
        return routes;
    }

    /** The route and its parameters for this request, if one matches. */
    public Optional<Match> match(String method, String path) {
        String[] parts = path.split("/", -1);
        for (AdminRoute r : routes) {
            if (!r.method().equals(method)) continue;
            Map<String, String> params = matches(r.path().split("/"), parts);
            if (params != null) return Optional.of(new Match(r, params));
        }
        return Optional.empty();
    }

    /** Whether any route has this path with another method (405 rather than 404). */
    public boolean pathExists(String path) {
        String[] parts = path.split("/", -1);
        for (AdminRoute r : routes) {
            if (matches(r.path().split("/"), parts) != null) return true;
        }
        return false;
    }

    private static Map<String, String> matches(String[] template, String[] parts) {
        var params = new HashMap<String, String>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("...}")) {
                if (i >= parts.length) return null;
                String rest = String.join("/", List.of(parts).subList(i, parts.length));
                if (rest.isEmpty()) return null;
                params.put(t.substring(1, t.length() - 4), rest);
                return params;
            }
            if (i >= parts.length) return null;
            if (t.startsWith("{") && t.endsWith("}")) {
                if (parts[i].isEmpty()) return null;
                params.put(t.substring(1, t.length() - 1), parts[i]);
            } else if (!t.equals(parts[i])) {
                return null;
            }
        }
        return template.length == parts.length ? params : null;
    }

    public record Match(AdminRoute route, Map<String, String> params) {
    }

    /** Collects routes from several features. */
    public static final class Builder {
        private final List<AdminRoute> routes = new ArrayList<>();

        public Builder add(AdminRoute route) {
            routes.add(route);
            return this;
        }

        public Builder addAll(List<AdminRoute> more) {
            routes.addAll(more);
            return this;
        }

        public AdminRoutes build() {
            return new AdminRoutes(routes);
        }
    }
}
