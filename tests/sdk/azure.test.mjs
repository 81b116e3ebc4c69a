// openai's AzureOpenAI client against the data plane, unchanged but for its endpoint
// (issue 11 point 4): the deployment names the model — a bare name means the provider azure,
// "provider/model" reaches any provider — and the client's api-key is never forwarded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AzureOpenAI } from "openai";

import { dataPlane, marked, received } from "./common.mjs";

const ask = [{ role: "user", content: "Hello!" }];

for (const deployment of ["gpt-4o", "azure/gpt-4o", "openai/gpt-4o-mini"]) {
  const client = new AzureOpenAI({
    endpoint: dataPlane, apiKey: "client-azure-key", apiVersion: "2024-10-21", deployment, maxRetries: 0,
  });
  const azure = !deployment.startsWith("openai/");
  describe(deployment, () => {
    test("a plain completion reaches the deployment", async () => {
      const { id, options } = marked();
      const completion = await client.chat.completions.create({ model: deployment, messages: ask }, options);
      assert.equal(completion.choices[0].message.content, "Hello from the mock");
      const [sent] = await received(id);
      assert.equal(sent.path, azure ? "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21"
                                    : "/v1/chat/completions");
      assert.ok(!JSON.stringify(sent.headers).includes("client-azure-key"));
      if (azure) assert.equal(sent.headers["api-key"], "sk-key-a");
    });

    test("a stream without Azure's filter chunks", async () => {
      const stream = await client.chat.completions.create({
        model: deployment, messages: ask, stream: true, stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "tok0tok1tok2");
      assert.ok(chunks.every((c) => c.choices.length > 0 || c.usage), JSON.stringify(chunks[0]));
      assert.equal(chunks.find((c) => c.choices[0]?.finish_reason).choices[0].finish_reason, "stop");
    });

    test("embeddings", async () => {
      const embeddings = await client.embeddings.create({ model: deployment, input: "hi", encoding_format: "float" });
      assert.equal(embeddings.data.length, 1);
    });
  });
}
