// The official Anthropic SDK against the data plane's native /anthropic route, unchanged but
// for baseURL: anthropic providers (the body passes through; a bare model name means the
// provider "anthropic") and an OpenAI-compatible provider reached through the translation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";

import { dataPlane, emptySchema, marked, received, script, weatherSchema } from "./common.mjs";

const client = new Anthropic({
  baseURL: `${dataPlane}/anthropic`,
  apiKey: "sk-ant-client-key-never-forwarded",
  maxRetries: 0,
});
const tools = [
  { name: "get_weather", description: "Weather", input_schema: weatherSchema },
  { name: "get_time", input_schema: emptySchema },
];
const ask = { max_tokens: 64, system: "Be brief.", messages: [{ role: "user", content: "Hello!" }] };

const targets = ["claude-mock-model", "team-claude/claude-mock-model", "openai/gpt-4o-mini",
                 "gemini/gemini-2.5-flash"];
for (const model of targets) {
  const gemini = model.startsWith("gemini/");
  const anthropic = !model.startsWith("openai/") && !gemini;
  describe(model, () => {
    test("a plain message", async () => {
      const { id, options } = marked();
      const message = await client.messages.create({ model, ...ask }, options);
      assert.equal(message.type, "message");
      assert.equal(message.content[0].type, "text");
      assert.ok(message.content[0].text.length > 0);
      assert.equal(message.stop_reason, "end_turn");
      assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
      // The provider's dialect and configured key; the client's credentials never forwarded.
      const [sent] = await received(id);
      assert.equal(sent.path, anthropic ? "/v1/messages"
                              : gemini ? "/v1beta/models/gemini-2.5-flash:generateContent"
                              : "/v1/chat/completions");
      assert.ok(!JSON.stringify(sent.headers).includes("client-key"));
      if (gemini) {
        assert.equal(sent.headers["x-goog-api-key"], "sk-key-a");
      } else if (anthropic) {
        assert.equal(sent.headers["x-api-key"], "sk-key-a");
        assert.equal(sent.headers["anthropic-version"], "2023-06-01");
      } else {
        assert.equal(sent.headers.authorization, "Bearer sk-key-a");
        const body = JSON.parse(sent.body);
        assert.deepEqual(body.messages[0], { role: "system", content: "Be brief." });
        assert.equal(body.max_tokens, 64);
      }
    });

    test("a stream, assembled by the SDK", async () => {
      const stream = client.messages.stream({ model, ...ask });
      let text = "";
      stream.on("text", (delta) => { text += delta; });
      const final = await stream.finalMessage();
      assert.equal(text, "tok0tok1tok2");
      assert.equal(final.content[0].text, "tok0tok1tok2");
      assert.equal(final.stop_reason, "end_turn");
      assert.ok(final.usage.output_tokens > 0);
    });

    test("tool use, plain", async () => {
      const message = await client.messages.create({ model, ...ask, tools });
      assert.equal(message.stop_reason, "tool_use");
      assert.deepEqual(message.content.map((b) => [b.type, b.name, b.input]), [
        ["tool_use", "get_weather", { city: "Paris" }],
        ["tool_use", "get_time", {}],
      ]);
    });

    test("tool use streamed (input_json_delta) and reassembled by the SDK", async () => {
      const stream = client.messages.stream({ model, ...ask, tools });
      const fragments = [];
      stream.on("inputJson", (fragment) => fragments.push(fragment));
      const final = await stream.finalMessage();
      assert.equal(final.stop_reason, "tool_use");
      assert.deepEqual(final.content.map((b) => [b.type, b.name, b.input]), [
        ["tool_use", "get_weather", { city: "Paris" }],
        ["tool_use", "get_time", {}],
      ]);
      assert.ok(final.content.every((b) => b.id.length > 0));
      // Streamed as fragments, not buffered into one (ADAPTERS.md §9 item 3); a tool without
      // arguments streams none (Anthropic) or "{}" (translated from OpenAI).
      assert.ok(fragments.length >= 2);
      assert.match(fragments.join(""), /^\{"city":"Paris"\}(\{\})?$/);
    });

    test("tool results go back to the provider", async () => {
      const { id, options } = marked();
      const message = await client.messages.create({
        model,
        ...ask,
        tools,
        messages: [
          ...ask.messages,
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
              { type: "tool_use", id: "toolu_2", name: "get_time", input: {} },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
              { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "noon" }] },
              { type: "text", text: "And so?" },
            ],
          },
        ],
      }, options);
      assert.equal(message.stop_reason, "end_turn");
      if (!anthropic && !gemini) {
        // OpenAI's shape: tool calls on the assistant turn, a tool message per result right
        // after it, then the user's words.
        const body = JSON.parse((await received(id))[0].body);
        const tail = body.messages.slice(-4);
        assert.deepEqual(tail[0].tool_calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)]),
                         [["toolu_1", "get_weather", { city: "Paris" }], ["toolu_2", "get_time", {}]]);
        assert.deepEqual(tail.slice(1, 3), [
          { role: "tool", tool_call_id: "toolu_1", content: "sunny" },
          { role: "tool", tool_call_id: "toolu_2", content: "noon" },
        ]);
        assert.deepEqual(tail[3], { role: "user", content: [{ type: "text", text: "And so?" }] });
      }
    });

    test("count_tokens", async () => {
      const request = client.messages.countTokens({ model, messages: ask.messages });
      if (anthropic) {
        assert.ok((await request).input_tokens > 0);
      } else {
        await assert.rejects(request, (e) => e instanceof Anthropic.APIError && e.status === 501 &&
                                             /anthropic-family providers only/.test(e.message));
      }
    });

    test("errors surface as the SDK's error types, in Anthropic's shape", async () => {
      const { options } = marked({ "x-bf-eh-x-mock-status": "429" });
      await assert.rejects(client.messages.create({ model, ...ask }, options), (e) => {
        assert.ok(e instanceof Anthropic.RateLimitError, e.constructor.name);
        assert.equal(e.error.type, "error");
        assert.equal(e.error.error.type, "rate_limit_error");
        assert.match(e.error.error.message, /mock error 429/);
        return true;
      });
      await assert.rejects(client.messages.create({ ...ask, model: "nowhere/x" }), (e) => {
        assert.ok(e instanceof Anthropic.BadRequestError, e.constructor.name);
        assert.equal(e.error.error.type, "invalid_request_error");
        return true;
      });
    });

    test("a stream cut by the provider ends with an error the SDK raises", async () => {
      const { options } = marked({ "x-bf-eh-x-mock-fail-after": "1" });
      const stream = client.messages.stream({ model, ...ask }, options);
      await assert.rejects(stream.finalMessage(), (e) => {
        assert.ok(e instanceof Anthropic.APIError, e.constructor.name);
        assert.match(e.message, /stream from provider interrupted/);
        return true;
      });
    });
  });
}

describe("anthropic-specific", () => {
  test("anthropic-beta is filtered: overrides drop, one version per beta", async () => {
    const { id, options } = marked();
    await client.beta.messages.create({
      model: "claude-mock-model",
      ...ask,
      betas: ["structured-outputs-2025-11-13", "structured-outputs-2025-09-01",
              "made-up-beta-1", "fine-grained-tool-streaming-2025-05-14"],
    }, options);
    const [sent] = await received(id);
    assert.equal(sent.headers["anthropic-beta"],
                 "structured-outputs-2025-11-13,fine-grained-tool-streaming-2025-05-14");
  });

  test("a fallback of another family answers in Anthropic's format", async () => {
    const { id, options } = marked();
    await script([{ status: 500 }]);
    const message = await client.messages.create(
      { model: "team-claude/claude-mock-model", ...ask, fallbacks: ["openai/gpt-4o-mini"] }, options);
    assert.equal(message.type, "message");
    assert.equal(message.content[0].text, "Hello from the mock");
    assert.deepEqual((await received(id)).map((r) => r.path), ["/v1/messages", "/v1/chat/completions"]);
  });

  test("529 overloaded is retried; when retries run out the SDK sees it", async () => {
    await script([{ status: 529 }]);
    const message = await client.messages.create({ model: "claude-mock-model", ...ask });
    assert.equal(message.stop_reason, "end_turn");
    await script([{ status: 529 }, { status: 529 }, { status: 529 }]);
    await assert.rejects(client.messages.create({ model: "claude-mock-model", ...ask }), (e) => {
      assert.ok(e instanceof Anthropic.APIError, e.constructor.name);
      assert.equal(e.status, 529);
      assert.equal(e.error.error.type, "overloaded_error");
      return true;
    });
  });
});

// Issue 18 point 2: the model list comes from the providers (anthropic's own list, two models a
// page at the mock, is followed by the gateway), and the SDK's iterator pages through it.
test("models.list pages through every provider's models", async () => {
  const ids = [];
  for await (const model of client.models.list({ limit: 2 })) ids.push(model.id);
  assert.equal(new Set(ids).size, ids.length, "no model twice");
  for (const id of ["anthropic/claude-haiku-4-5", "anthropic/claude-opus-4-1",
                    "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini",
                    "gemini/gemini-2.5-pro", "cohere/command-r"]) {
    assert.ok(ids.includes(id), `${id} in ${ids}`);
  }
  assert.ok(ids.length > 6);
  const first = await client.models.list({ limit: 2 });
  assert.equal(first.data.length, 2);
  assert.equal(first.has_more, true);
});
