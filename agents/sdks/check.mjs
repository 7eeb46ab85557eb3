// Agent SDKs as Arbiter's clients: the Vercel AI SDK (OpenAI Responses, OpenAI chat completions, Anthropic
// Messages) and the OpenAI Agents SDK for JavaScript (Responses, chat completions), each against every backend
// that ARBITER_SDK_BACKENDS names. Run by agents/run.sh, which installs the pinned packages beside a copy of this
// file and starts `arbiter serve` in front of `arbiter mock-upstream`; by hand, from a folder holding them:
//
//   ARBITER_URL=http://127.0.0.1:8080 ARBITER_MOCK_URL=http://127.0.0.1:9000 node check.mjs
//
// Each SDK way in, against each backend: a plain answer, a streamed one (in more than one delta), a second turn
// that must carry the first answer to the backend, a tool round trip, and where the SDK sends reasoning back, a
// tool round trip with reasoning that must reach the backend in its own form.
//
// The mock is steered by directives in the prompt: [[mock-say TEXT]] answers TEXT; [[mock-tool NAME ARGS]] calls
// tool NAME with ARGS and, once the last message is that tool's result, answers "Mock answer: the tool said: "
// followed by the result. So a random token that only the tool knows comes back in the final text only if the SDK
// ran the tool and sent its result on through Arbiter.
//
// Prints one line per check, "PASS  name" or "FAIL  name: reason"; exits 1 when any check failed. No summary line:
// agents/run.sh counts these lines with its own.
//
// Environment:
//   ARBITER_URL              the gateway, without /v1 (required)
//   ARBITER_MOCK_URL         the mock-upstream behind it (required): what reached the backend is read from its
//                            /mock/stats (last_request), so the checks run one at a time
//   ARBITER_SDK_BACKENDS     label=model,... : the model name that reaches each backend; labels chat, responses
//                            or anthropic, the format that backend speaks (default chat=arbiter-mock)
//   ARBITER_SDK_TIMEOUT      seconds each check may take (default 60)
//   ARBITER_SDK_ONLY         run only the checks whose name contains this text
import { randomBytes } from 'node:crypto';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import {
  Agent,
  OpenAIChatCompletionsModel,
  run,
  setDefaultOpenAIClient,
  setOpenAIAPI,
  setTracingDisabled,
  tool as agentTool,
} from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';

const gateway = (process.env.ARBITER_URL ?? '').replace(/\/+$/, '');
if (!gateway) {
  console.error('ARBITER_URL is not set (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const baseURL = `${gateway}/v1`;
const mock = (process.env.ARBITER_MOCK_URL ?? '').replace(/\/+$/, '');
if (!mock) {
  console.error('ARBITER_MOCK_URL is not set (the mock-upstream behind ARBITER_URL)');
  process.exit(2);
}
const limit = Number(process.env.ARBITER_SDK_TIMEOUT ?? 60);
const only = process.env.ARBITER_SDK_ONLY ?? '';
const backends = (process.env.ARBITER_SDK_BACKENDS ?? 'chat=arbiter-mock').split(',').map((b) => {
  const [label, model] = b.split('=');
  return { label, model: model ?? label };
});

let failed = 0;
const nonce = () => randomBytes(4).toString('hex');

class Failure extends Error {}
function expect(ok, what) {
  if (!ok) throw new Failure(what);
}
const show = (v) => {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
};

/** The body of the last request the mock got, as Arbiter sent it on. */
async function upstreamBody(signal) {
  const stats = await (await fetch(`${mock}/mock/stats`, { signal })).json();
  return String(stats.last_request?.body ?? '');
}

/** Whether `texts` occur in `body` in this order. */
function inOrder(body, texts) {
  let at = 0;
  for (const t of texts) {
    const i = body.indexOf(t, at);
    if (i < 0) return false;
    at = i + t.length;
  }
  return true;
}

/** Why a call failed, with the HTTP status and body when the SDK kept them. */
function reason(e) {
  if (e instanceof Failure) return e.message;
  const parts = [`${e?.name ?? 'Error'}: ${e?.message ?? e}`];
  const status = e?.statusCode ?? e?.status;
  if (status) parts.push(`status ${status}`);
  const body = e?.responseBody ?? (e?.error ? JSON.stringify(e.error) : undefined);
  if (body) parts.push(`body ${String(body).slice(0, 400)}`);
  if (e?.cause && e.cause !== e) parts.push(`cause: ${reason(e.cause)}`);
  return parts.join('; ').replace(/\s+/g, ' ');
}

/** Runs one check, bounded by `limit` seconds: the signal aborts the SDK's requests, the race ends the wait. */
async function check(name, body) {
  if (only && !name.includes(only)) return;
  const abort = new AbortController();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      abort.abort(new Error(`timed out after ${limit}s`));
      reject(new Failure(`timed out after ${limit}s`));
    }, limit * 1000);
  });
  try {
    await Promise.race([body(abort.signal), timeout]);
    console.log(`PASS  ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}: ${reason(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

// --- the Vercel AI SDK -------------------------------------------------------------------------------------------
const openai = createOpenAI({ baseURL, apiKey: 'dummy-arbiter-key' });
const anthropic = createAnthropic({ baseURL, apiKey: 'dummy-arbiter-key' });
// No retries (a failure shows at once); an output limit, which the Anthropic provider otherwise sets itself for a
// model name it does not know, with a warning.
const settings = (abortSignal) => ({ abortSignal, maxRetries: 0, maxOutputTokens: 1024 });
// `thinking`: the provider options that make the model reason, where the SDK sends the reasoning back on the next
// step of a tool loop (the chat completions model does not).
const surfaces = [
  { // the provider's default: the Responses API
    label: 'responses',
    model: (m) => openai(m),
    thinking: { openai: { forceReasoning: true, reasoningEffort: 'low', reasoningSummary: 'auto' } },
  },
  { label: 'chat', model: (m) => openai.chat(m) },
  {
    label: 'messages',
    model: (m) => anthropic(m),
    thinking: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } },
  },
];

/**
 * The reasoning a backend got back with the tool call it led to, in its own form, from the body Arbiter sent it:
 * the assistant message's reasoning_content (chat completions), the signature of the thinking block before the
 * tool_use (Anthropic), the encrypted_content of the reasoning item right before the function_call, or the
 * upstream's own id of the reasoning item there, which a stateful upstream looks up (Responses, passed through).
 * Empty when none came back, or only Arbiter's envelope (arb1.) did.
 */
function nativeReasoning(backend, body) {
  let sent;
  try {
    sent = JSON.parse(body);
  } catch {
    return '';
  }
  const own = (t) => (typeof t === 'string' && !t.startsWith('arb1.') ? t : '');
  if (backend === 'responses') {
    const input = sent.input ?? [];
    for (let i = 1; i < input.length; i++) {
      if (input[i].type !== 'function_call') continue;
      const r = input[i - 1];
      const upstreams = typeof r.id === 'string' && r.id.startsWith('rs_') && !r.id.includes('_arb') ? r.id : '';
      if (r.type === 'reasoning') return own(r.encrypted_content) || upstreams;
      if (r.type === 'item_reference') return upstreams;
    }
    return '';
  }
  for (const m of sent.messages ?? []) {
    if (m.role !== 'assistant') continue;
    if (backend === 'chat' && m.tool_calls) return own(m.reasoning_content);
    const blocks = Array.isArray(m.content) ? m.content : [];
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[i].type === 'tool_use' && blocks[i - 1].type === 'thinking') return own(blocks[i - 1].signature);
    }
  }
  return '';
}

/** A tool that only answers with `token`, and remembers the key it was called with. */
function lookupTool(token, seen) {
  return tool({
    description: 'Looks up the value stored under a key.',
    inputSchema: z.object({ key: z.string().describe('the key to look up') }),
    execute: async ({ key }) => {
      seen.push(key);
      return `the value of ${key} is ${token}`;
    },
  });
}

/** The stream's parts, failing on an error part (streamText reports errors in the stream, it does not throw). */
async function drain(result) {
  const parts = [];
  for await (const part of result.fullStream) {
    if (part.type === 'error') throw part.error instanceof Error ? part.error : new Error(show(part.error));
    if (part.type === 'abort') throw new Failure('stream aborted');
    parts.push(part);
  }
  return parts;
}

function expectToolRoundTrip(r, key, token, seen) {
  expect(seen.length === 1 && seen[0] === key, `tool ran with keys ${show(seen)}, expected once with ${show(key)}`);
  expect(r.steps.length === 2, `${r.steps.length} steps, expected 2 (tool call, then answer)`);
  const calls = r.steps[0].toolCalls;
  expect(calls.length === 1 && calls[0].toolName === 'lookup' && calls[0].input?.key === key,
    `step 1 tool calls ${show(calls.map((c) => ({ name: c.toolName, input: c.input })))}`);
  expect(r.steps[0].finishReason === 'tool-calls', `step 1 finish reason ${show(r.steps[0].finishReason)}`);
  expect(r.text.startsWith('Mock answer: the tool said:') && r.text.includes(token),
    `final text ${show(r.text)} does not quote the tool's result (${token})`);
  expect(r.finishReason === 'stop', `final finish reason ${show(r.finishReason)}`);
}

for (const s of surfaces) {
  for (const b of backends) {
    const at = `vercel-ai ${s.label}`;
    const via = `(${b.label} backend)`;
    const model = s.model(b.model);

    await check(`${at} generateText ${via}`, async (abortSignal) => {
      const said = `sdk ${s.label} plain ${nonce()}`;
      const r = await generateText({ model, prompt: `[[mock-say ${said}]]`, ...settings(abortSignal) });
      expect(r.text === said, `text ${show(r.text)}, expected ${show(said)}`);
      expect(r.finishReason === 'stop', `finish reason ${show(r.finishReason)}`);
      expect(r.usage.inputTokens > 0 && r.usage.outputTokens > 0, `usage ${show(r.usage)}`);
    });

    await check(`${at} streamText ${via}`, async (abortSignal) => {
      const said = `sdk ${s.label} streamed ${nonce()}`;
      const r = streamText({ model, prompt: `[[mock-say ${said}]]`, ...settings(abortSignal) });
      const deltas = (await drain(r)).filter((p) => p.type === 'text-delta');
      const text = deltas.map((p) => p.text).join('');
      expect(text === said, `streamed text ${show(text)}, expected ${show(said)}`);
      expect(deltas.length >= 2, `${deltas.length} text delta(s): the answer did not arrive as a stream`);
      expect((await r.finishReason) === 'stop', `finish reason ${show(await r.finishReason)}`);
      const usage = await r.usage;
      expect(usage.inputTokens > 0 && usage.outputTokens > 0, `usage ${show(usage)}`);
    });

    await check(`${at} second turn ${via}`, async (abortSignal) => {
      // The answer goes back as the SDK keeps it: on the Responses API, with store on (its default), as an
      // item_reference to the answer's id, which Arbiter resolves for its own ids and leaves to an upstream's.
      const first = `Remember ${nonce()}. [[mock-say noted ${nonce()}]]`;
      const r1 = await generateText({ model, prompt: first, ...settings(abortSignal) });
      const said = `sdk ${s.label} second ${nonce()}`;
      const second = `What did I ask you to remember? [[mock-say ${said}]]`;
      const r2 = await generateText({
        model,
        messages: [{ role: 'user', content: first }, ...r1.response.messages, { role: 'user', content: second }],
        ...settings(abortSignal),
      });
      expect(r2.text === said, `second answer ${show(r2.text)}, expected ${show(said)}`);
      const sent = await upstreamBody(abortSignal);
      const itemId = r1.response.messages[0]?.content?.[0]?.providerOptions?.openai?.itemId;
      const passedThrough = s.label === 'responses' && b.label === 'responses' && itemId && !itemId.includes('_arb');
      expect(inOrder(sent, [first, r1.text, second]) || (passedThrough && inOrder(sent, [first, itemId, second])),
        `the backend did not get the first answer (${show(r1.text)}) between the turns: ${show(sent)}`);
    });

    await check(`${at} generateText tool round trip ${via}`, async (abortSignal) => {
      const key = `k-${nonce()}`, token = `TOKEN-${nonce()}`, seen = [];
      const r = await generateText({
        model,
        tools: { lookup: lookupTool(token, seen) },
        stopWhen: stepCountIs(2),
        prompt: `Look up ${key}. [[mock-tool lookup {"key":"${key}"}]]`,
        ...settings(abortSignal),
      });
      expectToolRoundTrip(r, key, token, seen);
    });

    await check(`${at} streamText tool round trip ${via}`, async (abortSignal) => {
      const key = `k-${nonce()}`, token = `TOKEN-${nonce()}`, seen = [];
      const r = streamText({
        model,
        tools: { lookup: lookupTool(token, seen) },
        stopWhen: stepCountIs(2),
        prompt: `Look up ${key}. [[mock-tool lookup {"key":"${key}"}]]`,
        ...settings(abortSignal),
      });
      const parts = await drain(r);
      expect(parts.some((p) => p.type === 'tool-result' && p.toolName === 'lookup'), 'no tool-result part in the stream');
      expectToolRoundTrip({ steps: await r.steps, text: await r.text, finishReason: await r.finishReason },
        key, token, seen);
    });

    // The reasoning goes back on the tool loop's second step (on the Responses API with store on, as an
    // item_reference); the backend must get its own form of it, or a strict one refuses the tool turn.
    for (const streamed of s.thinking ? [false, true] : []) {
      await check(`${at} ${streamed ? 'streamText' : 'generateText'} reasoning tool round trip ${via}`, async (abortSignal) => {
        const key = `k-${nonce()}`, token = `TOKEN-${nonce()}`, seen = [];
        const call = {
          model,
          tools: { lookup: lookupTool(token, seen) },
          stopWhen: stepCountIs(2),
          providerOptions: s.thinking,
          prompt: `Look up ${key}. [[mock-tool lookup {"key":"${key}"}]]`,
          ...settings(abortSignal),
        };
        let r;
        if (streamed) {
          const st = streamText(call);
          await drain(st);
          r = { steps: await st.steps, text: await st.text, finishReason: await st.finishReason };
        } else {
          r = await generateText(call);
        }
        expect(r.steps[0]?.reasoning?.length > 0, 'the first step brought no reasoning');
        expectToolRoundTrip(r, key, token, seen);
        const sent = await upstreamBody(abortSignal);
        expect(nativeReasoning(b.label, sent) !== '',
          `the ${b.label} backend did not get its reasoning back before the tool call: ${show(sent)}`);
      });
    }
  }
}

// --- the OpenAI Agents SDK ---------------------------------------------------------------------------------------
const client = new OpenAI({ baseURL, apiKey: 'dummy-arbiter-key', maxRetries: 0, timeout: limit * 1000 });
setDefaultOpenAIClient(client);
setOpenAIAPI('responses'); // the default, said out loud
setTracingDisabled(true); // or it exports traces to OpenAI

const apis = [
  { label: 'responses', model: (m) => m }, // a model name: the default provider, on the Responses API
  { label: 'chat', model: (m) => new OpenAIChatCompletionsModel(client, m) },
];

function agent(model, token, seen, modelSettings = {}) {
  return new Agent({
    name: 'Arbiter check',
    instructions: 'You look things up with the lookup tool when asked.',
    model,
    modelSettings,
    tools: [
      agentTool({
        name: 'lookup',
        description: 'Looks up the value stored under a key.',
        parameters: z.object({ key: z.string() }),
        execute: async ({ key }) => {
          seen.push(key);
          return `the value of ${key} is ${token}`;
        },
      }),
    ],
  });
}

/** The run's events, counting text deltas; fails on a run that ended in error. */
async function events(result) {
  let deltas = 0;
  for await (const ev of result) {
    if (ev.type === 'raw_model_stream_event' && ev.data.type === 'output_text_delta') deltas++;
  }
  await result.completed;
  if (result.error) throw result.error;
  return deltas;
}

function expectToolItems(r, key, token, seen) {
  expect(seen.length === 1 && seen[0] === key, `tool ran with keys ${show(seen)}, expected once with ${show(key)}`);
  const types = r.newItems.map((i) => i.type);
  expect(types.includes('tool_call_item') && types.includes('tool_call_output_item'),
    `run items ${show(types)} lack the tool call and its output`);
  const out = String(r.finalOutput ?? '');
  expect(out.startsWith('Mock answer: the tool said:') && out.includes(token),
    `final output ${show(out)} does not quote the tool's result (${token})`);
}

for (const a of apis) {
  for (const b of backends) {
    const at = `openai-agents ${a.label}`;
    const via = `(${b.label} backend)`;
    const model = a.model(b.model);

    for (const stream of [false, true]) {
      const how = stream ? 'streamed run' : 'run';
      await check(`${at} ${how} ${via}`, async (signal) => {
        const said = `agents ${a.label} ${stream ? 'streamed' : 'plain'} ${nonce()}`;
        const seen = [];
        const r = await run(agent(model, 'unused', seen), `[[mock-say ${said}]]`, { stream, signal, maxTurns: 3 });
        if (stream) {
          const deltas = await events(r);
          expect(deltas >= 2, `${deltas} output_text_delta event(s): the answer did not arrive as a stream`);
        }
        expect(r.finalOutput === said, `final output ${show(r.finalOutput)}, expected ${show(said)}`);
        expect(seen.length === 0, `the tool ran (${show(seen)}) where the model only answered`);
      });

      if (!stream) {
        // A Responses upstream behind Arbiter keeps its own state (the mock keeps none): there the history goes.
        const byId = a.label === 'responses' && b.label !== 'responses';
        await check(`${at} second turn (${byId ? 'previousResponseId' : 'history'}) ${via}`, async (signal) => {
          const first = `Remember ${nonce()}. [[mock-say noted ${nonce()}]]`;
          const r1 = await run(agent(model, 'unused', []), first, { signal, maxTurns: 3 });
          const said = `agents ${a.label} second ${nonce()}`;
          const second = `What did I ask you to remember? [[mock-say ${said}]]`;
          const r2 = byId
            ? await run(agent(model, 'unused', []), second, { signal, maxTurns: 3, previousResponseId: r1.lastResponseId })
            : await run(agent(model, 'unused', []), [...r1.history, { role: 'user', content: second }], { signal, maxTurns: 3 });
          expect(r2.finalOutput === said, `second answer ${show(r2.finalOutput)}, expected ${show(said)}`);
          const sent = await upstreamBody(signal);
          expect(inOrder(sent, [first, r1.finalOutput, second]),
            `the backend did not get the first answer (${show(r1.finalOutput)}) between the turns: ${show(sent)}`);
        });
      }

      await check(`${at} ${how} with tool ${via}`, async (signal) => {
        const key = `k-${nonce()}`, token = `TOKEN-${nonce()}`, seen = [];
        const r = await run(agent(model, token, seen), `Look up ${key}. [[mock-tool lookup {"key":"${key}"}]]`,
          { stream, signal, maxTurns: 3 });
        if (stream) await events(r);
        expectToolItems(r, key, token, seen);
      });

      if (a.label === 'responses') {
        // The reasoning item goes back as the SDK got it (Arbiter's envelope in encrypted_content when bridged).
        await check(`${at} ${how} with tool and reasoning ${via}`, async (signal) => {
          const key = `k-${nonce()}`, token = `TOKEN-${nonce()}`, seen = [];
          const thinking = agent(model, token, seen, { reasoning: { effort: 'low', summary: 'auto' } });
          const r = await run(thinking, `Look up ${key}. [[mock-tool lookup {"key":"${key}"}]]`,
            { stream, signal, maxTurns: 3 });
          if (stream) await events(r);
          expectToolItems(r, key, token, seen);
          expect(r.newItems.some((i) => i.type === 'reasoning_item'), `no reasoning item in ${show(r.newItems.map((i) => i.type))}`);
          const sent = await upstreamBody(signal);
          expect(nativeReasoning(b.label, sent) !== '',
            `the ${b.label} backend did not get its reasoning back before the tool call: ${show(sent)}`);
        });
      }
    }
  }
}

process.exitCode = failed > 0 ? 1 : 0;
