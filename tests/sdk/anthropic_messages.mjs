// The official Anthropic SDK against a Switchyard data plane's native /anthropic route,
// unchanged but for baseURL.
//   node anthropic_messages.mjs <baseURL> <model>
// Exits 0 when the SDK accepted every answer; prints what failed and exits 1 otherwise.
import Anthropic from "@anthropic-ai/sdk";

const [baseURL, model] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey: "sk-ant-unused-by-the-gateway", maxRetries: 0 });
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const message = await client.messages.create({
  model,
  max_tokens: 64,
  system: "Be brief.",
  messages: [{ role: "user", content: "Hello!" }],
});
check(message.type === "message", `type: ${message.type}`);
check(message.content[0]?.type === "text" && message.content[0].text.length > 0, "text block");
check(message.stop_reason === "end_turn", `stop_reason: ${message.stop_reason}`);
check(message.usage?.output_tokens > 0, "usage");

// The SDK's streaming helper assembles the events into a final message.
const stream = client.messages.stream({
  model,
  max_tokens: 64,
  messages: [{ role: "user", content: "Count." }],
});
let text = "";
stream.on("text", (delta) => { text += delta; });
const final = await stream.finalMessage();
check(text.includes("tok0") && text.includes("tok2"), `streamed text: ${text}`);
check(final.stop_reason === "end_turn", `stream stop_reason: ${final.stop_reason}`);

if (failures.length > 0) {
  console.error(`${model}: ${failures.join("; ")}`);
  process.exit(1);
}
console.log(`${model}: ok`);
