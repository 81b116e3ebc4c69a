// What the SDK suites share: where the data plane and the mock provider are (set by
// tests/integration/sdk_test.cc, which starts them), and a way to find what the mock received
// for one test (each test marks its requests with a header forwarded as x-test-id).
import { randomUUID } from "node:crypto";

export const dataPlane = `http://${process.env.SWITCHYARD_DATA_PLANE}`;
const mock = `http://${process.env.SWITCHYARD_MOCK}`;

// Request options marking a test's requests; `extra` adds more headers.
export function marked(extra = {}) {
  const id = randomUUID();
  return { id, options: { headers: { "x-bf-eh-x-test-id": id, ...extra } } };
}

// The requests the mock received with this mark, oldest first.
export async function received(id) {
  const log = await (await fetch(`${mock}/_mock/requests`)).json();
  return log.requests.filter((request) => request.headers["x-test-id"] === id);
}

// Queues scripted answers (e.g. [{status: 529}]) for the mock's next requests.
export async function script(responses) {
  await fetch(`${mock}/_mock/script`, { method: "POST", body: JSON.stringify({ responses }) });
}

// The mock calls every offered tool (the first two): get_weather with {"city": "Paris"},
// get_time with no arguments at all.
export const weatherSchema = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
};
export const emptySchema = { type: "object", properties: {} };
