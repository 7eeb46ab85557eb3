package dev.arbiter.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResponsesCustomInputTest {
    private static final String TEXT = "*** Begin Patch\n+say \"hi\" \\o/\tcafé 😀\r\b\f*** End Patch";

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"input\":\"%s\"}",
            " { \"input\" :\n \"%s\" } ",
            "{\"input\":\"%s\",\"extra\":1}"})
    void feed_everySplitIntoThreeFragments_sameTextAndNoSplitCharacter(String shape) {
        String escaped = "*** Begin Patch\\n+say \\\"hi\\\" \\\\o\\/\\tcaf\\u00e9 \\ud83d\\ude00\\r\\b\\f*** End Patch";
        String json = shape.formatted(escaped);
        assertThat(ResponsesOutput.customInput(json)).isEqualTo(TEXT);

        for (int i = 0; i <= json.length(); i++) {
            for (int j = i; j <= json.length(); j++) {
                var unwrap = new ResponsesCustomInput();
                var deltas = new ArrayList<String>();
                for (String f : List.of(json.substring(0, i), json.substring(i, j), json.substring(j))) deltas.add(unwrap.feed(f));
                deltas.add(unwrap.finish());

                assertThat(String.join("", deltas)).as("split at %d, %d", i, j).isEqualTo(TEXT);
                assertThat(unwrap.text()).isEqualTo(TEXT);
                assertThat(deltas).allSatisfy(d -> assertThat(d.isEmpty() || !Character.isHighSurrogate(d.charAt(d.length() - 1)))
                        .as("delta %s ends inside a surrogate pair", d).isTrue());
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"other\":1,\"input\":\"x\"}   | x",
            "{\"inputs\":\"x\"}              | {\"inputs\":\"x\"}",
            "*** Begin Patch                 | *** Begin Patch",
            "[\"x\"]                         | [\"x\"]"})
    void finish_argumentsOfAnotherShape_inputGivenWholeAtTheEnd(String arguments, String expected) {
        var unwrap = new ResponsesCustomInput();

        String during = unwrap.feed(arguments.substring(0, 3)) + unwrap.feed(arguments.substring(3));

        assertThat(during).isEmpty();
        assertThat(unwrap.finish()).isEqualTo(expected);
        assertThat(unwrap.text()).isEqualTo(expected);
    }
}
