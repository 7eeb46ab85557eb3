package dev.arbiter.error;

/**
 * Text that came from outside (a caller's model name, header or field; an upstream's body) made safe to write into
 * a log line, an error message or a header: control characters (CR, LF, NUL, ESC, the C1 range and the Unicode line
 * and paragraph separators) and backslashes are escaped as {@code \n}, {@code \\}, {@code \}{@code u001b}, so no
 * value can forge a log line or a terminal escape, and the result is cut to a bound with a note of how much was
 * left out, so a 4 MiB model name makes neither a 4 MiB log line nor a 4 MiB error body.
 *
 * <p>Hand-written: the usual escapers (Jackson's, commons-text's) either leave control characters alone outside JSON
 * strings or have no bound; this is the one place both are done.
 */
public final class Untrusted {
    /** The default bound for a value in a log line or an error message, in characters before escaping. */
    public static final int DEFAULT_MAX = 256;

    private Untrusted() {}

    /** {@code s} escaped and cut to {@link #DEFAULT_MAX} characters; {@code "null"} for null. */
    public static String text(String s) {
        return text(s, DEFAULT_MAX);
    }

    /** {@code s} escaped and cut to {@code max} characters of the original; {@code "null"} for null. */
    public static String text(String s, int max) {
        if (s == null) return "null";
        int n = s.length();
        int limit = Math.min(n, max);
        int i = 0;
        while (i < limit && plain(s.charAt(i))) i++;
        if (i == n) return s;
        var sb = new StringBuilder(limit + 32).append(s, 0, i);
        for (; i < limit; i++) {
            char c = s.charAt(i);
            if (plain(c)) {
                sb.append(c);
            } else if (c == '\\') {
                sb.append("\\\\");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else {
                sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
            }
        }
        // do not leave half a surrogate pair at the cut
        if (limit < n && limit > 0 && Character.isHighSurrogate(s.charAt(limit - 1)) && sb.length() > 0
                && sb.charAt(sb.length() - 1) == s.charAt(limit - 1)) {
            sb.setLength(sb.length() - 1);
        }
        if (limit < n) sb.append("...(").append(n - limit).append(" more chars)");
        return sb.toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static boolean plain(char c) {
        return c >= 0x20 && c != 0x7f && c != '\\' && (c < 0x80 || c > 0x9f) && c != 0x2028 && c != 0x2029;
    }
}
