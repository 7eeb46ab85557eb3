package dev.arbiter.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One endpoint of the JSON admin API under {@code /admin/}: a method, a path template relative to {@code /admin/}
 * and a handler. Features hand their routes to the gateway; the edge mounts them, checks the admin key first
 * ({@link AdminAccess}) and writes what the handler returns as JSON. A handler signals "not found", "bad request"
 * and the like by throwing the matching {@code ArbiterException}; the edge answers it in the OpenAI error format.
 *
 * <p>Templates are segments separated by {@code /}; a segment {@code {name}} matches one segment, and a final
 * {@code {name...}} matches the rest of the path, slashes included (ids such as {@code model/deployment}). Examples:
 * {@code keys}, {@code keys/{id}}, {@code breakers/{id...}}.
 *
 * @param method  GET, POST, PUT or DELETE
 * @param path    the template, e.g. {@code keys/{id}}
 * @param handler the endpoint
 */
public record AdminRoute(String method, String path, Handler handler) {
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE");

    public AdminRoute {
        Objects.requireNonNull(handler, "handler");
        if (!METHODS.contains(method)) throw new IllegalArgumentException("admin route method: " + method + " (expected: " + METHODS + ")");
        if (path.startsWith("/") || path.isBlank()) throw new IllegalArgumentException("admin route path: '" + path + "' (expected: relative to /admin/, e.g. keys/{id})");
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            if (s.isEmpty()) throw new IllegalArgumentException("admin route path: '" + path + "' has an empty segment");
            if (s.endsWith("...}") && i != segments.length - 1) {
                throw new IllegalArgumentException("admin route path: '" + path + "' ({name...} must be the last segment)");
            }
        }
    }

    public static AdminRoute get(String path, Handler handler) {
        return new AdminRoute("GET", path, handler);
    }

    public static AdminRoute post(String path, Handler handler) {
        return new AdminRoute("POST", path, handler);
    }

    public static AdminRoute delete(String path, Handler handler) {
        return new AdminRoute("DELETE", path, handler);
    }

    /** Answers one admin request with the JSON to send (status 200, or {@link Call#status} set by the handler). */
    @FunctionalInterface
    public interface Handler {
        JsonNode handle(Call call);
    }

    /**
     * One admin request as a handler sees it.
     *
     * @param params the template's {@code {name}} values, decoded
     * @param query  the query parameters (first value of each)
     * @param body   the JSON body of a POST/PUT ({@code NullNode} when none was sent)
     */
    public record Call(Map<String, String> params, Map<String, String> query, JsonNode body, Status status) {
        public String param(String name) {
            String v = params.get(name);
            if (v == null) throw new IllegalArgumentException("route has no parameter " + name);
            return v;
        }

        public Optional<String> query(String name) {
            return Optional.ofNullable(query.get(name));
        }
    }

    /** The status the answer is sent with; 200 unless the handler sets another (e.g. 201 for a created key). */
    public static final class Status {
        private int code = 200;

        public void set(int code) {
            if (code < 200 || code > 299) throw new IllegalArgumentException("admin status: " + code + " (expected: 2xx; errors are thrown)");
            this.code = code;
        }

        public int code() {
            return code;
        }
    }
}
