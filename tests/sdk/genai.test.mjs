// The official Google GenAI SDK against the data plane's native /genai route, unchanged but for
// its base URL: gemini providers (the request passes through; a bare model name means the
// provider "gemini") and providers of other families reached through the translation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiError, GoogleGenAI } from "@google/genai";

import { dataPlane, emptySchema, marked, received, weatherSchema } from "./common.mjs";

const ai = new GoogleGenAI({
  apiKey: "client-key-never-forwarded",
  httpOptions: { baseUrl: `${dataPlane}/genai` },
});
const tools = [{
  functionDeclarations: [
    { name: "get_weather", description: "Weather", parametersJsonSchema: weatherSchema },
    { name: "get_time", parametersJsonSchema: emptySchema },
  ],
}];
const options = (id) => ({ httpOptions: { headers: { "x-bf-eh-x-test-id": id } } });

const targets = ["gemini-2.5-flash", "gemini/gemini-2.5-flash", "openai/gpt-4o-mini",
                 "anthropic/claude-mock-model", "vertex/gemini-2.5-flash"];
for (const model of targets) {
  const gemini = model.startsWith("gemini");
  const anthropic = model.startsWith("anthropic/");
  const vertex = model.startsWith("vertex/");  // bridged through the internal form
  describe(model, () => {
    test("generateContent", async () => {
      const { id } = marked();
      const response = await ai.models.generateContent({
        model, contents: "Hello!", config: { systemInstruction: "Be brief.", ...options(id) },
      });
      assert.ok(response.text.length > 0);
      assert.equal(response.candidates[0].finishReason, "STOP");
      assert.ok(response.usageMetadata.totalTokenCount > 0);
      const [sent] = await received(id);
      assert.equal(sent.path, gemini ? "/v1beta/models/gemini-2.5-flash:generateContent"
                              : anthropic ? "/v1/messages"
                              : vertex ? "/v1/projects/p-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
                              : "/v1/chat/completions");
      assert.ok(!JSON.stringify(sent.headers).includes("client-key"));
      if (gemini) assert.equal(sent.headers["x-goog-api-key"], "sk-key-a");
    });

    test("generateContentStream", async () => {
      const stream = await ai.models.generateContentStream({ model, contents: "Count." });
      let text = "";
      let last;
      for await (const chunk of stream) {
        text += chunk.text ?? "";
        last = chunk;
      }
      assert.equal(text, "tok0tok1tok2");
      assert.equal(last.candidates[0].finishReason, "STOP");
    });

    test("function calls, plain and streamed", async () => {
      const response = await ai.models.generateContent({ model, contents: "Weather?", config: { tools } });
      assert.deepEqual(response.functionCalls.map((c) => [c.name, c.args]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
      const stream = await ai.models.generateContentStream({ model, contents: "Weather?", config: { tools } });
      const calls = [];
      for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
      assert.deepEqual(calls.map((c) => [c.name, c.args]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
    });

    test("function responses go back to the provider", async () => {
      const { id } = marked();
      const response = await ai.models.generateContent({
        model,
        contents: [
          { role: "user", parts: [{ text: "Weather and time?" }] },
          { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } },
                                   { functionCall: { name: "get_time", args: {} } }] },
          { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { sky: "clear" } } },
                                  { functionResponse: { name: "get_time", response: { time: "noon" } } }] },
        ],
        config: { tools, ...options(id) },
      });
      assert.ok(response.text.length > 0);
      if (!gemini && !anthropic && !vertex) {
        // Each response answers its call by id, right after the assistant's calls.
        const body = JSON.parse((await received(id))[0].body);
        const ids = body.messages.at(-3).tool_calls.map((c) => c.id);
        assert.deepEqual(body.messages.slice(-2).map((m) => [m.role, m.tool_call_id, JSON.parse(m.content)]),
                         [["tool", ids[0], { sky: "clear" }], ["tool", ids[1], { time: "noon" }]]);
      }
    });

    test("embedContent and countTokens", async () => {
      const embedding = () => ai.models.embedContent({ model, contents: "hello" });
      const count = () => ai.models.countTokens({ model, contents: "one two three" });
      if (gemini) {
        assert.deepEqual((await embedding()).embeddings[0].values, [0.5, -0.25, 1]);
        // Several texts: batchEmbedContents, each request's model the provider's own.
        const { id } = marked();
        const batch = await ai.models.embedContent({ model, contents: ["a", "b"], config: options(id) });
        assert.equal(batch.embeddings.length, 2);
        const [sent] = await received(id);
        assert.equal(sent.path, "/v1beta/models/gemini-2.5-flash:batchEmbedContents");
        assert.deepEqual(JSON.parse(sent.body).requests.map((r) => r.model),
                         ["models/gemini-2.5-flash", "models/gemini-2.5-flash"]);
        assert.ok((await count()).totalTokens > 0);
      } else {
        for (const request of [embedding, count]) {
          await assert.rejects(request(), (e) => e instanceof ApiError && e.status === 501);
        }
      }
    });

    test("errors surface as the SDK's ApiError with the provider's status", async () => {
      await assert.rejects(
        ai.models.generateContent({
          model, contents: "Hello!", config: { httpOptions: { headers: { "x-bf-eh-x-mock-status": "429" } } },
        }),
        (e) => e instanceof ApiError && e.status === 429 && /mock error 429/.test(e.message),
      );
      await assert.rejects(ai.models.generateContent({ model: "nowhere/x", contents: "Hello!" }),
                           (e) => e instanceof ApiError && e.status === 400);
    });
  });
}

// Issue 18 point 2: models.list's pager follows nextPageToken through every provider's models.
test("models.list pages through every provider's models", async () => {
  const names = [];
  const pager = await ai.models.list({ config: { pageSize: 2 } });
  for await (const model of pager) names.push(model.name);
  assert.equal(new Set(names).size, names.length, "no model twice");
  for (const name of ["models/gemini/gemini-2.0-flash", "models/gemini/gemini-2.5-pro",
                      "models/anthropic/claude-opus-4-1", "models/openai/gpt-4o"]) {
    assert.ok(names.includes(name), `${name} in ${names}`);
  }
  assert.ok(names.length > 6);
});
