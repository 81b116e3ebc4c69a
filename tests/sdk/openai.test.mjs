// The official OpenAI SDK against the data plane's /v1, unchanged but for baseURL, for an
// OpenAI-compatible provider and for providers reached through the translation: anthropic
// (the standard one and a custom provider built on anthropic, seed 003), gemini, and vertex
// with both publishers (service-account tokens from the mock's token endpoint), cohere, and
// bedrock (SigV4-signed Converse, event-stream streams).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import OpenAI from "openai";

import { dataPlane, emptySchema, marked, received, weatherSchema } from "./common.mjs";

const client = new OpenAI({
  baseURL: `${dataPlane}/v1`,
  apiKey: "sk-client-key-never-forwarded",
  maxRetries: 0,
});
const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather", parameters: weatherSchema } },
  { type: "function", function: { name: "get_time", parameters: emptySchema } },
];
const ask = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello!" }];

const targets = ["openai/gpt-4o-mini", "anthropic/claude-mock-model",
                 "team-claude/claude-mock-model", "gemini/gemini-2.5-flash",
                 "vertex/gemini-2.5-flash", "vertex/claude-mock-model", "cohere/command-r",
                 "bedrock/anthropic.claude-mock-v1:0"];
const vertexModels = "/v1/projects/p-1/locations/us-central1/publishers";
for (const model of targets) {
  const vertex = model.startsWith("vertex/");
  const gemini = model.includes("/gemini-");
  const cohere = model.startsWith("cohere/");
  const bedrock = model.startsWith("bedrock/");
  const anthropic = !model.startsWith("openai/") && !gemini && !cohere && !bedrock;
  // Where the mock sees the request (Vertex: the model's publisher path).
  const upstreamPath = (method) =>
    vertex ? `${vertexModels}/${gemini ? "google" : "anthropic"}/models/${model.slice(7)}:${method}`
           : `/v1beta/models/gemini-2.5-flash:${method}`;
  describe(model, () => {
    test("a plain completion", async () => {
      const { id, options } = marked();
      const completion = await client.chat.completions.create({ model, messages: ask }, options);
      assert.equal(completion.object, "chat.completion");
      assert.ok(completion.choices[0].message.content.length > 0);
      assert.equal(completion.choices[0].finish_reason, "stop");
      assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0);
      // The provider's dialect and key; never the client's key.
      const [sent] = await received(id);
      assert.equal(sent.path, bedrock ? "/model/anthropic.claude-mock-v1%3A0/converse"
                              : cohere ? "/v2/chat"
                              : vertex ? upstreamPath(gemini ? "generateContent" : "rawPredict")
                              : anthropic ? "/v1/messages"
                              : gemini ? upstreamPath("generateContent")
                              : "/v1/chat/completions");
      assert.ok(!JSON.stringify(sent.headers).includes("sk-client-key"));
      if (bedrock) {
        // SigV4, which the mock verifies; the system prompt in Converse's place.
        assert.match(sent.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDSDK\//);
        assert.deepEqual(JSON.parse(sent.body).system, [{ text: "Be brief." }]);
      } else if (cohere) {
        assert.equal(sent.headers.authorization, "Bearer sk-key-a");
        assert.deepEqual(JSON.parse(sent.body).messages[0], { role: "system", content: "Be brief." });
      } else if (vertex) {
        assert.match(sent.headers.authorization, /^Bearer ya29\.mock\./);
      } else if (anthropic) {
        assert.equal(sent.headers["x-api-key"], "sk-key-a");
      }
      if (vertex && anthropic) {
        const body = JSON.parse(sent.body);
        assert.equal(body.anthropic_version, "vertex-2023-10-16");
        assert.equal(body.model, undefined);
      }
      if (gemini) {
        if (!vertex) assert.equal(sent.headers["x-goog-api-key"], "sk-key-a");
        const body = JSON.parse(sent.body);
        assert.deepEqual(body.systemInstruction, { parts: [{ text: "Be brief." }] });
        assert.deepEqual(body.contents, [{ role: "user", parts: [{ text: "Hello!" }] }]);
      }
    });

    test("a stream: role chunk first, finish in its own chunk, usage chunk last", async () => {
      const stream = await client.chat.completions.create({
        model, messages: ask, stream: true, stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.equal(chunks[0].choices[0].delta.role, "assistant");
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
      assert.equal(text, "tok0tok1tok2");
      const finish = chunks.find((c) => c.choices[0]?.finish_reason);
      assert.equal(finish.choices[0].finish_reason, "stop");
      assert.deepEqual(finish.choices[0].delta, {});
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.ok(last.usage.completion_tokens > 0 && last.usage.total_tokens > 0);
    });

    test("tool calls, plain", async () => {
      const completion = await client.chat.completions.create({ model, messages: ask, tools });
      const calls = completion.choices[0].message.tool_calls;
      assert.equal(completion.choices[0].finish_reason, "tool_calls");
      assert.deepEqual(calls.map((c) => c.function.name), ["get_weather", "get_time"]);
      assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: "Paris" });
      assert.deepEqual(JSON.parse(calls[1].function.arguments), {});
    });

    test("tool calls streamed and reassembled by the SDK", async () => {
      const runner = client.chat.completions.stream({ model, messages: ask, tools });
      const deltas = [];
      runner.on("chunk", (chunk) => deltas.push(...(chunk.choices[0]?.delta?.tool_calls ?? [])));
      const final = await runner.finalChatCompletion();
      const calls = final.choices[0].message.tool_calls;
      assert.equal(final.choices[0].finish_reason, "tool_calls");
      assert.deepEqual(calls.map((c) => c.function.name), ["get_weather", "get_time"]);
      assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: "Paris" });
      // A tool with no argument fragments still gets valid JSON (ADAPTERS.md §9 item 5).
      assert.deepEqual(JSON.parse(calls[1].function.arguments), {});
      // ADAPTERS.md §9 item 1: id, type and name only on a call's first delta; no empty
      // fragments after it; each call its own index.
      assert.deepEqual([...new Set(deltas.map((d) => d.index))], [0, 1]);
      for (const delta of deltas) {
        if (delta.id) {
          assert.equal(delta.type, "function");
          assert.ok(delta.function.name);
        } else {
          assert.equal(delta.type, undefined);
          assert.equal(delta.function.name, undefined);
          assert.notEqual(delta.function.arguments, "");
        }
      }
    });

    test("tool results go back to the provider", async () => {
      const { id, options } = marked();
      const completion = await client.chat.completions.create({
        model,
        tools,
        messages: [
          ...ask,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
          { role: "tool", tool_call_id: "call_2", content: "noon" },
        ],
      }, options);
      assert.equal(completion.choices[0].finish_reason, "stop");
      if (cohere) {
        // Tool results keep OpenAI's shape: one tool message per call.
        const body = JSON.parse((await received(id))[0].body);
        assert.deepEqual(body.messages.slice(-2).map((m) => [m.role, m.tool_call_id, m.content]),
                         [["tool", "call_1", "sunny"], ["tool", "call_2", "noon"]]);
      }
      if (anthropic) {
        // Consecutive tool results form one user turn of tool_result blocks.
        const body = JSON.parse((await received(id))[0].body);
        const turn = body.messages.at(-1);
        assert.equal(turn.role, "user");
        assert.deepEqual(turn.content.map((b) => [b.type, b.tool_use_id]),
                         [["tool_result", "call_1"], ["tool_result", "call_2"]]);
        assert.deepEqual(body.messages.at(-2).content[0].input, { city: "Paris" });
      }
      if (gemini) {
        // Function responses named from the call they answer, in one user Content.
        const body = JSON.parse((await received(id))[0].body);
        assert.deepEqual(body.contents.at(-2).parts.map((p) => p.functionCall.name), ["get_weather", "get_time"]);
        assert.deepEqual(body.contents.at(-1), {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { content: "sunny" } } },
            { functionResponse: { name: "get_time", response: { content: "noon" } } },
          ],
        });
      }
    });

    if (gemini || cohere) {
      test("embeddings, float and base64", async () => {
        const { id, options } = marked();
        const one = await client.embeddings.create({ model, input: "hello", dimensions: 3 }, options);
        assert.equal(one.data.length, 1);
        assert.ok(one.data[0].embedding.length > 0);
        const many = await client.embeddings.create({ model, input: ["a", "b"] });
        assert.deepEqual(many.data.map((d) => d.index), [0, 1]);
        // The SDK asks for base64 by default and decodes it: the values survive the trip.
        const decoded = await client.embeddings.create({ model, input: ["x", "y"] });
        const raw = await client.embeddings.create({ model, input: ["x", "y"], encoding_format: "float" });
        assert.deepEqual(Array.from(decoded.data[1].embedding), raw.data[1].embedding);
        assert.deepEqual(Array.from(one.data[0].embedding), [0.5, -0.25, 1]);
        const [sent] = await received(id);
        assert.equal(sent.path, cohere ? "/v2/embed" : upstreamPath(vertex ? "predict" : "embedContent"));
        assert.deepEqual(JSON.parse(sent.body), cohere
          ? { model: "command-r", texts: ["hello"], input_type: "search_document",
              embedding_types: ["float"], output_dimension: 3 }
          : vertex
          ? { instances: [{ content: "hello" }], parameters: { outputDimensionality: 3 } }
          : { content: { parts: [{ text: "hello" }] }, outputDimensionality: 3 });
      });
    }

    test("errors surface as the SDK's error types", async () => {
      const { options } = marked({ "x-bf-eh-x-mock-status": "429" });
      await assert.rejects(client.chat.completions.create({ model, messages: ask }, options), (e) => {
        assert.ok(e instanceof OpenAI.RateLimitError, e.constructor.name);
        assert.equal(e.status, 429);
        assert.match(e.message, /mock error 429/);
        return true;
      });
      await assert.rejects(
        client.chat.completions.create({ model: "nowhere/x", messages: ask }),
        (e) => e instanceof OpenAI.BadRequestError && /not configured/.test(e.message),
      );
    });
  });
}

// Issue 18 point 2: the model list comes from the providers, not only from key filters.
test("models.list lists what the providers serve", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  for (const id of ["openai/gpt-4o-mini", "openai/text-embedding-3-small",
                    "anthropic/claude-sonnet-4-5", "gemini/gemini-2.0-flash",
                    "cohere/embed-v4.0"]) {
    assert.ok(ids.includes(id), `${id} in ${ids}`);
  }
});

// Issue 20 points 1 and 4: the SDK reads the gateway's x-request-id as the request's id (its
// own id for each request, or the one the caller sent), and a caller's W3C trace continues
// to the provider with the gateway's span.
test("the request id and the caller's trace reach the SDK and the provider", async () => {
  const { id, options } = marked({
    traceparent: "00-8c5a4bd1d5a3c1a1e6d93c2bd8e57f10-5fb2d2b0a9a8c7e1-01",
  });
  const completion = await client.chat.completions.create(
    { model: "openai/gpt-4o-mini", messages: ask }, options);
  assert.match(completion._request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const [sent] = await received(id);
  assert.match(sent.headers.traceparent, /^00-8c5a4bd1d5a3c1a1e6d93c2bd8e57f10-[0-9a-f]{16}-01$/);
  assert.ok(!sent.headers.traceparent.includes("5fb2d2b0a9a8c7e1"), "a span of the gateway's own");

  const mine = marked({ "x-request-id": "caller-chosen-id-7" });
  const again = await client.chat.completions.create(
    { model: "openai/gpt-4o-mini", messages: ask }, mine.options);
  assert.equal(again._request_id, "caller-chosen-id-7");
});
