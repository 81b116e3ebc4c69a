// Third-party clients nobody here wrote, on the native routes, unchanged but for their base URL:
// the Vercel AI SDK (`ai` with @ai-sdk/anthropic on /anthropic and @ai-sdk/google on /genai) and
// LangChain's ChatAnthropic on /anthropic, each against several provider families (plain,
// streamed, tool calls). @ai-sdk/google writes a model id with a slash without "models/"
// (POST /genai/v1beta/openai/gpt-4o-mini:generateContent): that form must reach the provider.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { ChatAnthropic } from "@langchain/anthropic";
import { generateText, jsonSchema, streamText, tool } from "ai";

import { dataPlane, marked, received, weatherSchema } from "./common.mjs";

const anthropic = createAnthropic({ baseURL: `${dataPlane}/anthropic/v1`, apiKey: "sk-client" });
const google = createGoogleGenerativeAI({ baseURL: `${dataPlane}/genai/v1beta`,
                                          apiKey: "client-key" });
const weather = tool({ description: "Weather", inputSchema: jsonSchema(weatherSchema) });

// Where each target's request lands at the mock (the provider's own dialect).
function upstreamPath(model) {
  if (model.startsWith("openai/")) return "/v1/chat/completions";
  if (model.startsWith("gemini/") || model.startsWith("gemini-")) {
    return `/v1beta/models/${model.replace("gemini/", "")}:`;
  }
  return "/v1/messages";
}

// The AI SDK's three calls against one provider factory and model.
function aiSdkCases(route, provider, model) {
  describe(`ai ${route} ${model}`, () => {
    test("generateText", async () => {
      const { id, options } = marked();
      const result = await generateText({ model: provider(model), prompt: "Hello!",
                                          maxOutputTokens: 64, maxRetries: 0, ...options });
      assert.ok(result.text.length > 0);
      assert.equal(result.finishReason, "stop");
      assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
      const [sent] = await received(id);
      assert.ok(sent.path.startsWith(upstreamPath(model)), sent.path);
      assert.ok(!JSON.stringify(sent.headers).includes("client-key"));
      assert.ok(!JSON.stringify(sent.headers).includes("sk-client"));
    });

    test("streamText", async () => {
      let failure;
      const result = streamText({ model: provider(model), prompt: "Hi", maxOutputTokens: 64,
                                  maxRetries: 0, onError: ({ error }) => { failure = error; } });
      let text = "";
      for await (const delta of result.textStream) text += delta;
      assert.equal(failure, undefined);
      assert.equal(text, "tok0tok1tok2");
      assert.equal(await result.finishReason, "stop");
    });

    test("a tool call", async () => {
      const result = await generateText({ model: provider(model), prompt: "Weather in Paris?",
                                          tools: { get_weather: weather }, maxRetries: 0 });
      assert.equal(result.finishReason, "tool-calls");
      assert.equal(result.toolCalls.length, 1);
      assert.equal(result.toolCalls[0].toolName, "get_weather");
      assert.deepEqual(result.toolCalls[0].input, { city: "Paris" });
    });
  });
}

for (const model of ["claude-mock-model", "openai/gpt-4o-mini", "gemini/gemini-2.5-flash"]) {
  aiSdkCases("/anthropic", anthropic, model);
}
for (const model of ["gemini-2.5-flash", "openai/gpt-4o-mini", "anthropic/claude-mock-model"]) {
  aiSdkCases("/genai", google, model);
}

for (const model of ["claude-mock-model", "openai/gpt-4o-mini", "gemini/gemini-2.5-flash"]) {
  describe(`langchain /anthropic ${model}`, () => {
    const chat = new ChatAnthropic({ model, apiKey: "sk-client", maxTokens: 64, maxRetries: 0,
                                     anthropicApiUrl: `${dataPlane}/anthropic` });

    test("invoke", async () => {
      const message = await chat.invoke("Hello!");
      assert.ok(typeof message.content === "string" && message.content.length > 0,
                JSON.stringify(message.content));
      assert.ok(message.usage_metadata.input_tokens > 0);
    });

    test("stream", async () => {
      let text = "";
      for await (const chunk of await chat.stream("Hi")) {
        text += typeof chunk.content === "string" ? chunk.content : "";
      }
      assert.equal(text, "tok0tok1tok2");
    });

    test("bindTools", async () => {
      const message = await chat
          .bindTools([{ name: "get_weather", description: "Weather", input_schema: weatherSchema }])
          .invoke("Weather in Paris?");
      assert.equal(message.tool_calls.length, 1);
      assert.equal(message.tool_calls[0].name, "get_weather");
      assert.deepEqual(message.tool_calls[0].args, { city: "Paris" });
    });
  });
}
