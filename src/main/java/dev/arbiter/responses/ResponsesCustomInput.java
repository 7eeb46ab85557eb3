package dev.arbiter.responses;

/**
 * Unwraps, as its fragments arrive, the raw text of a freeform tool that a function-calling backend called with
 * the JSON arguments {@code {"input": "<text>"}}: each fragment yields the text it completes, unescaped.
 *
 * <p>A small state machine: it matches the opening brace, the key {@code "input"} and the colon, with any
 * whitespace, then reads the JSON string, holding back only an unfinished escape (a backslash, or a unicode
 * escape short of its four hex digits) or a high surrogate whose low half has not come, so that a delta never
 * splits a character. Arguments of any other shape (another key first, not an object) are kept whole, and their
 * input is given at {@link #finish()}, as {@link ResponsesOutput#customInput} reads it; a string that breaks
 * after some of it was given ends there.
 */
final class ResponsesCustomInput {
    private static final String KEY = "input";

    private enum State { OPEN, KEY, KEY_NAME, COLON, VALUE, STRING, ESCAPE, UNICODE, END, WHOLE }

    /** The arguments while they may yet turn out not to be {@code {"input": ...}}; dropped once they are. */
    private final StringBuilder raw = new StringBuilder();
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder key = new StringBuilder();
    private State state = State.OPEN;
    private int unicode;
    private int unicodeDigits;
    private char pendingHigh;

    /** The text {@code fragment} completes, possibly empty. */
    String feed(String fragment) {
        var out = new StringBuilder();
        for (int i = 0; i < fragment.length(); i++) {
            if (state == State.WHOLE) {
                raw.append(fragment, i, fragment.length());
                break;
            }
            if (state.compareTo(State.STRING) < 0) raw.append(fragment.charAt(i));
            step(fragment.charAt(i), out);
        }
        if (state.compareTo(State.STRING) >= 0 && state != State.WHOLE) raw.setLength(0);
        text.append(out);
        return out.toString();
    }

    /** The text not yet given, once the arguments are complete. */
    String finish() {
        if (state == State.WHOLE) {
            if (!text.isEmpty()) return "";
            String input = ResponsesOutput.customInput(raw.toString());
            text.append(input);
            return input;
        }
        if (pendingHigh == 0) return "";
        String rest = String.valueOf(pendingHigh);
        pendingHigh = 0;
        text.append(rest);
        return rest;
    }

    /** All the input so far. */
    String text() {
        return text.toString();
    }

    private void step(char c, StringBuilder out) {
        switch (state) {
            case OPEN -> expect(c, '{', State.KEY);
            case KEY -> expect(c, '"', State.KEY_NAME);
            case KEY_NAME -> {
                if (c == '"') state = KEY.contentEquals(key) ? State.COLON : State.WHOLE;
                else if (c == '\\' || key.length() > KEY.length()) state = State.WHOLE;
                else key.append(c);
            }
            case COLON -> expect(c, ':', State.VALUE);
            case VALUE -> expect(c, '"', State.STRING);
            case STRING -> {
                if (c == '"') state = State.END;
                else if (c == '\\') state = State.ESCAPE;
                else emit(c, out);
            }
            case ESCAPE -> {
                state = State.STRING;
                switch (c) {
                    case 'n' -> emit('\n', out);
                    case 't' -> emit('\t', out);
                    case 'r' -> emit('\r', out);
                    case 'b' -> emit('\b', out);
                    case 'f' -> emit('\f', out);
                    case 'u' -> {
                        state = State.UNICODE;
                        unicode = 0;
                        unicodeDigits = 0;
                    }
                    default -> emit(c, out);
                }
            }
            case UNICODE -> {
                int digit = Character.digit(c, 16);
                if (digit < 0) {
                    state = State.WHOLE;
                    return;
                }
                unicode = unicode * 16 + digit;
                if (++unicodeDigits == 4) {
                    state = State.STRING;
                    emit((char) unicode, out);
                }
            }
            case END, WHOLE -> { }
        }
    }

    private void expect(char c, char wanted, State next) {
        if (c == wanted) state = next;
        else if (!Character.isWhitespace(c)) state = State.WHOLE;
    }

    private void emit(char c, StringBuilder out) {
        if (pendingHigh != 0) {
            out.append(pendingHigh);
            pendingHigh = 0;
        }
        if (Character.isHighSurrogate(c)) pendingHigh = c;
        else out.append(c);
    }
}
