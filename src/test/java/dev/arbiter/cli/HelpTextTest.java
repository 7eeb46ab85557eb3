package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's help reads as written: picocli breaks the line at each description element. */
class HelpTextTest {
    @Test
    void everyCommandsDescription_isMadeOfWholeSentences() {
        var main = new CommandLine(new Main());
        for (var entry : main.getSubcommands().entrySet()) {
            for (String paragraph : entry.getValue().getCommandSpec().usageMessage().description()) {
                assertThat(paragraph).as(entry.getKey() + " --help").matches("(?s).*[.:](%n)?");
            }
        }
    }
}
