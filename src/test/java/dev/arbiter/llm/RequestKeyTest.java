package dev.arbiter.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.messages.MessagesCodec;
import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.wire.Json;
import org.junit.jupiter.api.Test;

/** The canonical request key: stable under field order, formatting and fields that do not change the answer. */
class RequestKeyTest {
    private static LlmRequest chat(String json) {
        return ChatCodec.decodeRequest((ObjectNode) Json.parse(json));
    }

    private static String key(LlmRequest r) {
        return RequestKey.of(r, "caller-a").hex();
    }

    @Test
    void fieldOrderFormattingStreamUserAndMetadata_doNotChangeTheKey() {
        String a = key(chat("""
                {"model":"m","temperature":0.2,"seed":7,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"integer"}}}}}]}"""));
        String b = key(chat("""
                {  "messages" : [ {"content":"be brief","role":"system"}, {"content":"hi","role":"user"} ],
                   "tools":[{"function":{"parameters":{"properties":{"y":{"type":"integer"},"x":{"type":"string"}},"type":"object"},"name":"f"},"type":"function"}],
                   "seed": 7, "stream": true, "stream_options": {"include_usage": true}, "user": "u-1", "metadata": {"k":"v"},
                   "temperature": 0.20, "model": "m" }"""));
        assertThat(b).isEqualTo(a).hasSize(64);
    }

    @Test
    void everythingThatChangesTheAnswer_changesTheKey() {
        String base = "{\"model\":\"m\",\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String k = key(chat(base));
        assertThat(key(chat(base.replace("\"m\"", "\"m2\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("0.2", "0.3")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("\"hi\"", "\"hi \"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("\"user\"", "\"system\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("{\"model\"", "{\"seed\":1,\"model\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("{\"model\"", "{\"n\":2,\"model\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("{\"model\"", "{\"max_tokens\":5,\"model\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("{\"model\"", "{\"stop\":[\"x\"],\"model\"")))).isNotEqualTo(k);
        assertThat(key(chat(base.replace("{\"model\"", "{\"response_format\":{\"type\":\"json_object\"},\"model\"")))).isNotEqualTo(k);
        // the scope: another caller's identical request has another key
        assertThat(RequestKey.of(chat(base), "caller-b").hex()).isNotEqualTo(k);
    }

    @Test
    void options_normaliseWhitespaceAndCaseOnlyWhenAsked() {
        LlmRequest a = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello   World \"}]}");
        LlmRequest b = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        assertThat(RequestKey.of(a, "s")).isNotEqualTo(RequestKey.of(b, "s"));
        var loose = new RequestKey.Options(true, true);
        assertThat(RequestKey.of(a, "s", loose)).isEqualTo(RequestKey.of(b, "s", loose));
    }

    @Test
    void theSameConversation_inChatMessagesAndResponses_hasOneKey() {
        LlmRequest viaChat = chat("{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"hi\"}]}");
        LlmRequest viaMessages = MessagesCodec.decodeRequest((ObjectNode) Json.parse(
                "{\"model\":\"m\",\"max_tokens\":100,\"system\":\"sys\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        LlmRequest viaResponses = ResponsesCodec.decodeRequest((ObjectNode) Json.parse(
                "{\"model\":\"m\",\"max_output_tokens\":100,\"instructions\":\"sys\",\"input\":\"hi\"}"));
        assertThat(key(viaMessages)).isEqualTo(key(viaChat));
        assertThat(key(viaResponses)).isEqualTo(key(viaChat));
    }

    @Test
    void cacheControlMarkers_andToolArgumentFormatting_doNotChangeTheKey() {
        LlmRequest a = MessagesCodec.decodeRequest((ObjectNode) Json.parse("""
                {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}]}"""));
        LlmRequest b = MessagesCodec.decodeRequest((ObjectNode) Json.parse("""
                {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"""));
        assertThat(key(a)).isEqualTo(key(b));
        LlmRequest c1 = chat("""
                {"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1,\\"b\\":2}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}""");
        LlmRequest c2 = chat("""
                {"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \\"b\\": 2, \\"a\\": 1 }"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}""");
        assertThat(key(c1)).isEqualTo(key(c2));
    }
}
