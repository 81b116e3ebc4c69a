// Seed 004's model routes through the official OpenAI and Anthropic SDKs, unchanged: a bare
// alias ("smart"), a route whose provider fails (503) and that fails over to another route
// ("resilient"), plain and streamed, and an unknown alias answered as each SDK's NotFound.
// The routes are created by tests/integration/sdk_test.cc (SdkTest.ModelRoutesSuite):
//   smart     -> openai/gpt-4o-mini
//   resilient -> broken/gpt-4o (answers 503), failing over to openai/gpt-4o-mini
//   claude-alias -> anthropic/claude-3-5-haiku
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { dataPlane, marked, received } from "./common.mjs";

const openai = new OpenAI({ baseURL: `${dataPlane}/v1`, apiKey: "sk-unused", maxRetries: 0 });
const anthropic = new Anthropic({
  baseURL: `${dataPlane}/anthropic`,
  apiKey: "sk-ant-unused",
  maxRetries: 0,
});
const hello = [{ role: "user", content: "Hello!" }];

// The upstream requests of one marked call: [path, model] each.
async function upstream(id) {
  return (await received(id)).map((request) => [request.path, JSON.parse(request.body).model]);
}

describe("OpenAI SDK", () => {
  test("a bare alias reaches its route's model", async () => {
    const { id, options } = marked();
    const answer = await openai.chat.completions.create({ model: "smart", messages: hello }, options);
    assert.equal(answer.object, "chat.completion");
    assert.ok(answer.choices[0].message.content.length > 0);
    assert.deepEqual(await upstream(id), [["/v1/chat/completions", "gpt-4o-mini"]]);
  });

  test("a failing route fails over, plain and streamed", async () => {
    const { id, options } = marked();
    const answer = await openai.chat.completions.create({ model: "resilient", messages: hello }, options);
    assert.equal(answer.model, "gpt-4o-mini");
    assert.deepEqual(await upstream(id), [
      ["/v1/chat/completions", "gpt-4o"],
      ["/v1/chat/completions", "gpt-4o-mini"],
    ]);
    const streamed = marked();
    const stream = await openai.chat.completions.create(
      { model: "resilient", messages: hello, stream: true }, streamed.options);
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    assert.ok(text.length > 0);
    assert.equal((await upstream(streamed.id)).length, 2);
  });

  test("an unknown alias is the SDK's NotFoundError", async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: "no-such-alias", messages: hello }),
      (error) => {
        assert.ok(error instanceof OpenAI.NotFoundError, String(error));
        assert.match(error.message, /no-such-alias/);
        return true;
      });
  });
});

describe("Anthropic SDK", () => {
  test("a bare alias on the native route: translated to an OpenAI-compatible route", async () => {
    const { id, options } = marked();
    const message = await anthropic.messages.create(
      { model: "smart", max_tokens: 64, messages: hello }, options);
    assert.equal(message.type, "message");
    assert.ok(message.content[0].text.length > 0);
    assert.deepEqual(await upstream(id), [["/v1/chat/completions", "gpt-4o-mini"]]);
  });

  test("an alias of an anthropic model passes through", async () => {
    const { id, options } = marked();
    const message = await anthropic.messages.create(
      { model: "claude-alias", max_tokens: 64, messages: hello }, options);
    assert.equal(message.role, "assistant");
    assert.deepEqual(await upstream(id), [["/v1/messages", "claude-3-5-haiku"]]);
  });

  test("a failing route fails over, streamed", async () => {
    const { id, options } = marked();
    const stream = anthropic.messages.stream(
      { model: "resilient", max_tokens: 64, messages: hello }, options);
    const message = await stream.finalMessage();
    assert.equal(message.type, "message");
    assert.ok(message.content[0].text.length > 0);
    assert.deepEqual((await upstream(id)).map(([, model]) => model), ["gpt-4o", "gpt-4o-mini"]);
  });
});
