// Governance through each official SDK: a data plane that requires a virtual key
// (--require-virtual-key), reached by every SDK presenting the key its own way, unchanged:
// OpenAI's apiKey (Authorization: Bearer), Anthropic's apiKey (x-api-key), Google GenAI's
// apiKey (x-goog-api-key), AzureOpenAI's apiKey (api-key), Cohere's token (Bearer) and the AWS
// SDK's Bedrock API key (token, httpBearerAuth). A wrong key surfaces as each SDK's own
// authentication error; the key never reaches the provider.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { ApiError, GoogleGenAI } from "@google/genai";
import { CohereClientV2, CohereError } from "cohere-ai";
import OpenAI, { AzureOpenAI } from "openai";

import { marked, received } from "./common.mjs";

const governed = `http://${process.env.SWITCHYARD_GOVERNED_DATA_PLANE}`;
const key = process.env.SWITCHYARD_VIRTUAL_KEY;
const wrong = "sk-bf-not-a-key-of-this-gateway";
const exhausted = process.env.SWITCHYARD_EXHAUSTED_KEY;  // its budget is used up
const hello = [{ role: "user", content: "Hello!" }];

// Sends with `good` and `bad` clients: the first answers, the second fails as `Failure`
// with status 401; the key never reaches the mock.
async function check(id, call, fail) {
  await call();
  await assert.rejects(fail, (error) => {
    const status = error.status ?? error.statusCode ?? error.$metadata?.httpStatusCode;
    assert.equal(status, 401, String(error));
    return true;
  });
  const sent = await received(id);
  assert.ok(sent.length >= 1);
  for (const request of sent) assert.ok(!JSON.stringify(request).includes(key));
}

describe("each SDK presents a virtual key its own way", () => {
  test("OpenAI: apiKey as Authorization: Bearer", async () => {
    const { id, options } = marked();
    const make = (apiKey) => new OpenAI({ baseURL: `${governed}/v1`, apiKey, maxRetries: 0 });
    await check(id,
      async () => {
        const completion = await make(key).chat.completions.create({ model: "openai/gpt-4o-mini", messages: hello }, options);
        assert.equal(completion.object, "chat.completion");
      },
      () => make(wrong).chat.completions.create({ model: "openai/gpt-4o-mini", messages: hello }, options));
    await assert.rejects(make(wrong).models.list(), OpenAI.AuthenticationError);
    const models = [];
    for await (const model of make(key).models.list()) models.push(model.id);
    assert.ok(models.includes("openai/gpt-4o-mini") || models.length > 0);
  });

  test("Anthropic: apiKey as x-api-key", async () => {
    const { id, options } = marked();
    const make = (apiKey) => new Anthropic({ baseURL: `${governed}/anthropic`, apiKey, maxRetries: 0 });
    const ask = { model: "openai/gpt-4o-mini", max_tokens: 32, messages: hello };
    await check(id,
      async () => assert.equal((await make(key).messages.create(ask, options)).type, "message"),
      () => make(wrong).messages.create(ask, options));
    await assert.rejects(make(wrong).messages.create(ask, options), Anthropic.AuthenticationError);
    // Streams too.
    const stream = make(key).messages.stream(ask, options);
    assert.ok((await stream.finalMessage()).content.length > 0);
  });

  test("Google GenAI: apiKey as x-goog-api-key", async () => {
    const { id } = marked();
    const make = (apiKey) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${governed}/genai` } });
    const options = { httpOptions: { headers: { "x-bf-eh-x-test-id": id } } };
    const ask = { model: "openai/gpt-4o-mini", contents: "Hello!", config: options };
    await check(id,
      async () => assert.ok((await make(key).models.generateContent(ask)).text.length > 0),
      () => make(wrong).models.generateContent(ask));
    await assert.rejects(make(wrong).models.generateContent(ask), ApiError);
  });

  test("AzureOpenAI: apiKey as api-key", async () => {
    const { id, options } = marked();
    const make = (apiKey) => new AzureOpenAI({
      endpoint: governed, apiKey, apiVersion: "2024-10-21", deployment: "openai/gpt-4o-mini", maxRetries: 0,
    });
    await check(id,
      async () => assert.equal((await make(key).chat.completions.create({ model: "openai/gpt-4o-mini", messages: hello }, options)).object,
                               "chat.completion"),
      () => make(wrong).chat.completions.create({ model: "openai/gpt-4o-mini", messages: hello }, options));
  });

  test("Cohere: token as Authorization: Bearer", async () => {
    const { id, options } = marked();
    const make = (token) => new CohereClientV2({ token, environment: `${governed}/cohere`, maxRetries: 0 });
    const ask = { model: "openai/gpt-4o-mini", messages: hello };
    await check(id,
      async () => assert.ok((await make(key).chat(ask, options)).message.content.length > 0),
      () => make(wrong).chat(ask, options));
    await assert.rejects(make(wrong).chat(ask, options), CohereError);
  });

  test("AWS SDK: a Bedrock API key (httpBearerAuth)", async () => {
    const { id } = marked();
    const make = (token) => {
      const client = new BedrockRuntimeClient({
        endpoint: `${governed}/bedrock`, region: "us-east-1", maxAttempts: 1,
        token: { token }, authSchemePreference: ["httpBearerAuth"],
      });
      client.middlewareStack.add((next) => async (args) => {
        args.request.headers["x-bf-eh-x-test-id"] = id;
        return next(args);
      }, { step: "build" });
      return client;
    };
    const command = () => new ConverseCommand({
      modelId: "openai/gpt-4o-mini", messages: [{ role: "user", content: [{ text: "Hello!" }] }],
    });
    await check(id,
      async () => assert.ok((await make(key).send(command())).output.message.content.length > 0),
      () => make(wrong).send(command()));
  });

  // An exhausted budget is 402: each SDK surfaces it as its own API error with that status.
  test("an exhausted budget reaches every SDK as a 402 API error", async () => {
    const status = (error) => error.status ?? error.statusCode ?? error.$metadata?.httpStatusCode;
    const openai = new OpenAI({ baseURL: `${governed}/v1`, apiKey: exhausted, maxRetries: 0 });
    await assert.rejects(openai.chat.completions.create({ model: "openai/gpt-4o-mini", messages: hello }),
      (error) => error instanceof OpenAI.APIError && status(error) === 402 && /budget/.test(error.message));
    const anthropic = new Anthropic({ baseURL: `${governed}/anthropic`, apiKey: exhausted, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: "openai/gpt-4o-mini", max_tokens: 8, messages: hello }),
      (error) => error instanceof Anthropic.APIError && status(error) === 402);
    const genai = new GoogleGenAI({ apiKey: exhausted, httpOptions: { baseUrl: `${governed}/genai` } });
    await assert.rejects(genai.models.generateContent({ model: "openai/gpt-4o-mini", contents: "Hello!" }),
      (error) => error instanceof ApiError && status(error) === 402);
    const cohere = new CohereClientV2({ token: exhausted, environment: `${governed}/cohere`, maxRetries: 0 });
    await assert.rejects(cohere.chat({ model: "openai/gpt-4o-mini", messages: hello }),
      (error) => error instanceof CohereError && status(error) === 402);
  });
});
