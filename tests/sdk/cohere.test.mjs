// The official Cohere SDK (cohere-ai, CohereClientV2) against the data plane's /cohere route,
// unchanged but for its environment: chat, chatStream, tool calls and embed, against the cohere
// provider (as sent; a bare model means it) and providers of other families (translated both
// ways). The client's token is never forwarded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cohere, CohereClientV2, CohereError } from "cohere-ai";

import { dataPlane, marked, received, weatherSchema, emptySchema } from "./common.mjs";

const client = new CohereClientV2({
  token: "client-cohere-token", environment: `${dataPlane}/cohere`, maxRetries: 0,
});
const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather", parameters: weatherSchema } },
  { type: "function", function: { name: "get_time", parameters: emptySchema } },
];
const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello!" }];

const targets = ["command-r", "cohere/command-r", "openai/gpt-4o-mini", "anthropic/claude-mock-model"];
for (const model of targets) {
  const cohere = !model.includes("/") || model.startsWith("cohere/");
  describe(model, () => {
    test("chat", async () => {
      const { id, options } = marked();
      const response = await client.chat({ model, messages }, options);
      assert.equal(response.message.content[0].text, "Hello from the mock");
      assert.equal(response.finishReason, "COMPLETE");
      assert.ok(response.usage.tokens.inputTokens > 0 && response.usage.tokens.outputTokens > 0);
      const [sent] = await received(id);
      assert.equal(sent.path, cohere ? "/v2/chat" : model.startsWith("openai/") ? "/v1/chat/completions" : "/v1/messages");
      assert.ok(!JSON.stringify(sent.headers).includes("client-cohere-token"));
      if (cohere) assert.equal(JSON.parse(sent.body).model, "command-r");
    });

    test("chatStream", async () => {
      const stream = await client.chatStream({ model, messages });
      let text = "";
      let end;
      const types = [];
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "content-delta") text += event.delta.message.content.text;
        if (event.type === "message-end") end = event;
      }
      assert.equal(text, "tok0tok1tok2");
      assert.equal(types[0], "message-start");
      assert.equal(end.delta.finishReason, "COMPLETE");
      assert.ok(end.delta.usage.tokens.outputTokens > 0);
    });

    test("tool calls, plain and streamed", async () => {
      const response = await client.chat({ model, messages, tools });
      assert.equal(response.finishReason, "TOOL_CALL");
      assert.deepEqual(response.message.toolCalls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
      const stream = await client.chatStream({ model, messages, tools });
      const calls = [];
      for await (const event of stream) {
        if (event.type === "tool-call-start") {
          calls.push({ name: event.delta.message.toolCalls.function.name,
                       args: event.delta.message.toolCalls.function.arguments ?? "" });
        }
        if (event.type === "tool-call-delta") calls.at(-1).args += event.delta.message.toolCalls.function.arguments;
      }
      assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.args || "{}")]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
    });

    test("tool results go back", async () => {
      const response = await client.chat({
        model, tools,
        messages: [
          ...messages,
          { role: "assistant", toolPlan: "Checking.", toolCalls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
          { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "sunny" }] },
        ],
      });
      assert.equal(response.message.content[0].text, "Hello from the mock");
    });

    test("embed", async () => {
      const embed = () => client.embed({
        model, texts: ["a", "b"], inputType: "search_document", embeddingTypes: ["float"],
      });
      if (model.startsWith("anthropic/")) {
        // Anthropic has no embeddings: the SDK's NotImplementedError (501), never a fake answer.
        await assert.rejects(embed(), (e) => e instanceof Cohere.NotImplementedError && e.statusCode === 501);
        return;
      }
      const response = await embed();
      assert.equal(response.embeddings.float.length, 2);
      // The mock's Cohere embeds [0.5, -0.25, 1]; its OpenAI [0.1, 0.2, 0.3].
      assert.deepEqual(response.embeddings.float[1], cohere ? [0.5, -0.25, 1] : [0.1, 0.2, 0.3]);
    });

    test("errors surface as the SDK's error types", async () => {
      const { options } = marked({ "x-bf-eh-x-mock-status": "429" });
      await assert.rejects(client.chat({ model, messages }, options), (e) => {
        assert.ok(e instanceof CohereError, e.constructor.name);
        assert.equal(e.statusCode, 429);
        assert.match(JSON.stringify(e.body), /mock error 429/);
        return true;
      });
    });
  });
}

test("an unknown provider is the SDK's BadRequestError", async () => {
  await assert.rejects(client.chat({ model: "nowhere/x", messages }),
                       (e) => e instanceof Cohere.BadRequestError && /not configured/.test(e.body.message));
});
