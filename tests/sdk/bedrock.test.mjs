// The official AWS SDK (@aws-sdk/client-bedrock-runtime) against the data plane's /bedrock
// route, unchanged but for its endpoint: Converse, ConverseStream (AWS event-stream frames
// whose CRCs the SDK checks) and tool use, against the bedrock provider (a bare model id; the
// request passes through, signed with the provider's own credentials, which the mock verifies)
// and providers of other families (translated both ways). The client's signature stays here.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, BedrockRuntimeServiceException,
} from "@aws-sdk/client-bedrock-runtime";

import { dataPlane, received, weatherSchema, emptySchema } from "./common.mjs";
import { randomUUID } from "node:crypto";

const client = new BedrockRuntimeClient({
  endpoint: `${dataPlane}/bedrock`,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDCLIENT", secretAccessKey: "client-secret" },
  maxAttempts: 1,
});
// Marks a command's request (forwarded to the mock as x-test-id).
function marked(command) {
  const id = randomUUID();
  command.middlewareStack.add((next) => (args) => {
    args.request.headers["x-bf-eh-x-test-id"] = id;
    return next(args);
  }, { step: "build" });
  return { id, command };
}
const messages = [{ role: "user", content: [{ text: "Hello!" }] }];
const system = [{ text: "Be brief." }];
const toolConfig = {
  tools: [
    { toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: weatherSchema } } },
    { toolSpec: { name: "get_time", inputSchema: { json: emptySchema } } },
  ],
};

for (const modelId of ["anthropic.claude-mock-v1:0", "openai/gpt-4o-mini", "anthropic/claude-mock-model"]) {
  const bedrock = !modelId.includes("/");
  describe(modelId, () => {
    test("Converse", async () => {
      const { id, command } = marked(new ConverseCommand({ modelId, messages, system }));
      const response = await client.send(command);
      assert.equal(response.output.message.content[0].text, "Hello from the mock");
      assert.equal(response.stopReason, "end_turn");
      assert.ok(response.usage.inputTokens > 0 && response.usage.outputTokens > 0);
      const [sent] = await received(id);
      assert.equal(sent.path, bedrock ? "/model/anthropic.claude-mock-v1%3A0/converse"
                              : modelId.startsWith("openai/") ? "/v1/chat/completions" : "/v1/messages");
      assert.ok(!JSON.stringify(sent.headers).includes("AKIDCLIENT"));
      if (bedrock) assert.match(sent.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDSDK\//);
    });

    test("ConverseStream", async () => {
      const response = await client.send(new ConverseStreamCommand({ modelId, messages, system }));
      let text = "";
      let stop;
      let usage;
      for await (const event of response.stream) {
        if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text ?? "";
        if (event.messageStop) stop = event.messageStop.stopReason;
        if (event.metadata) usage = event.metadata.usage;
      }
      assert.equal(text, "tok0tok1tok2");
      assert.equal(stop, "end_turn");
      assert.ok(usage.outputTokens > 0);
    });

    test("tool use, plain and streamed", async () => {
      const response = await client.send(new ConverseCommand({ modelId, messages, toolConfig }));
      assert.equal(response.stopReason, "tool_use");
      assert.deepEqual(response.output.message.content.filter((b) => b.toolUse).map((b) => [b.toolUse.name, b.toolUse.input]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
      const stream = await client.send(new ConverseStreamCommand({ modelId, messages, toolConfig }));
      const calls = [];
      for await (const event of stream.stream) {
        const start = event.contentBlockStart?.start?.toolUse;
        if (start) calls.push({ name: start.name, input: "" });
        const fragment = event.contentBlockDelta?.delta?.toolUse?.input;
        if (fragment) calls.at(-1).input += fragment;
      }
      assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.input || "{}")]),
                       [["get_weather", { city: "Paris" }], ["get_time", {}]]);
    });

    test("tool results go back", async () => {
      const response = await client.send(new ConverseCommand({
        modelId, toolConfig,
        messages: [
          ...messages,
          { role: "assistant", content: [{ toolUse: { toolUseId: "tu1", name: "get_weather", input: { city: "Paris" } } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "tu1", content: [{ json: { sky: "clear" } }] } }] },
        ],
      }));
      assert.equal(response.output.message.content[0].text, "Hello from the mock");
    });

    test("errors surface as the SDK's exceptions", async () => {
      const { command } = marked(new ConverseCommand({ modelId, messages }));
      command.middlewareStack.add((next) => (args) => {
        args.request.headers["x-bf-eh-x-mock-status"] = "429";
        return next(args);
      }, { step: "build" });
      await assert.rejects(client.send(command), (e) => {
        assert.ok(e instanceof BedrockRuntimeServiceException, e.constructor.name);
        assert.equal(e.$metadata.httpStatusCode, 429);
        assert.match(e.message, /mock error 429/);
        return true;
      });
    });
  });
}
