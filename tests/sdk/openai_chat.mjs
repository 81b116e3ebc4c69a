// The official OpenAI SDK against a Switchyard data plane, unchanged but for baseURL.
//   node openai_chat.mjs <baseURL> <provider/model>
// Exits 0 when the SDK accepted every answer; prints what failed and exits 1 otherwise.
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "sk-unused-by-the-gateway", maxRetries: 0 });
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

// A whole completion, parsed by the SDK.
const completion = await client.chat.completions.create({
  model,
  messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello!" }],
});
check(completion.object === "chat.completion", `object: ${completion.object}`);
check(typeof completion.choices[0].message.content === "string" &&
      completion.choices[0].message.content.length > 0, "message content");
check(completion.choices[0].finish_reason === "stop", `finish: ${completion.choices[0].finish_reason}`);
check(completion.usage && completion.usage.total_tokens > 0, "usage");

// A stream through the SDK's SSE reader, with usage.
const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Count." }],
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let finish = null;
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks += 1;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    text += choice.delta?.content ?? "";
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
check(chunks > 1, `chunks: ${chunks}`);
check(text.includes("tok0") && text.includes("tok2"), `streamed text: ${text}`);
check(finish === "stop", `stream finish: ${finish}`);
check(usage !== null && usage.completion_tokens > 0, "stream usage");

// The SDK's finalChatCompletion helper assembles the stream the way apps do.
const runner = client.chat.completions.stream({ model, messages: [{ role: "user", content: "Hi" }] });
const final = await runner.finalChatCompletion();
check(final.choices[0].message.content.includes("tok1"), "finalChatCompletion content");

if (failures.length > 0) {
  console.error(`${model}: ${failures.join("; ")}`);
  process.exit(1);
}
console.log(`${model}: ok`);
