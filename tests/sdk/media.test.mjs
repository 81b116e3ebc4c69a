// Issue 22 through the official OpenAI SDK, unchanged: speech (bytes and the SSE stream),
// transcription of a real file upload (and its stream), image generation (and its stream),
// files (create, list, retrieve, content, delete) and batches (create, retrieve, list,
// cancel), against the mock provider as "openai"; a provider whose allowed_requests allow
// chat only refuses the others as the SDK's PermissionDeniedError.
// Providers: tests/integration/sdk_test.cc (SdkTest.MediaFilesAndBatchesSuite).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import OpenAI from "openai";

import { dataPlane, marked, received } from "./common.mjs";

const client = new OpenAI({ baseURL: `${dataPlane}/v1`, apiKey: "sk-unused", maxRetries: 0 });

// A small file on disk, uploaded as the SDK uploads files.
function tempFile(name, bytes) {
  const path = join(mkdtempSync(join(tmpdir(), "switchyard-sdk-")), name);
  writeFileSync(path, bytes);
  return path;
}

describe("audio", () => {
  test("speech: audio bytes with the provider's content type", async () => {
    const { id, options } = marked();
    const response = await client.audio.speech.create(
      { model: "openai/gpt-4o-mini-tts", voice: "alloy", input: "Hello there" }, options);
    assert.equal(response.headers.get("content-type"), "audio/mpeg");
    const audio = Buffer.from(await response.arrayBuffer()).toString();
    assert.equal(audio, "MOCK-AUDIO model=gpt-4o-mini-tts input=Hello there");
    const [sent] = await received(id);
    assert.equal(sent.path, "/v1/audio/speech");
    assert.equal(JSON.parse(sent.body).model, "gpt-4o-mini-tts");
  });

  test("speech: stream_format sse relays the audio events", async () => {
    const response = await client.audio.speech.create(
      { model: "openai/gpt-4o-mini-tts", voice: "alloy", input: "Hi", stream_format: "sse" });
    assert.match(response.headers.get("content-type"), /text\/event-stream/);
    const text = await response.text();
    const events = text.split("\n\n").filter(Boolean).map((e) => JSON.parse(e.slice(6)));
    assert.equal(events.at(-1).type, "speech.audio.done");
    const audio = events.filter((e) => e.type === "speech.audio.delta")
      .map((e) => Buffer.from(e.audio, "base64").toString()).join("");
    assert.equal(audio, "MOCK-AUDIO model=gpt-4o-mini-tts input=Hi");
  });

  test("transcription: a file upload, its model rewritten in the form", async () => {
    const { id, options } = marked();
    const path = tempFile("hello.wav", Buffer.alloc(4096, 7));
    const transcript = await client.audio.transcriptions.create(
      { file: createReadStream(path), model: "openai/whisper-1" }, options);
    assert.match(transcript.text, /^mock transcript of \d+ bytes by whisper-1$/);
    const [sent] = await received(id);
    assert.equal(sent.path, "/v1/audio/transcriptions");
    assert.match(sent.headers["content-type"], /^multipart\/form-data; boundary=/);
    assert.ok(sent.body.includes('filename="hello.wav"'));
  });

  test("transcription: stream true relays transcript.text events", async () => {
    const path = tempFile("hello.wav", Buffer.alloc(1024, 1));
    const stream = await client.audio.transcriptions.create(
      { file: createReadStream(path), model: "openai/whisper-1", stream: true });
    const types = [];
    let done = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "transcript.text.done") done = event.text;
    }
    assert.deepEqual(types, ["transcript.text.delta", "transcript.text.delta", "transcript.text.done"]);
    assert.match(done, /by whisper-1$/);
  });
});

describe("images", () => {
  test("generate, plain and streamed with partial images", async () => {
    const image = await client.images.generate({ model: "openai/gpt-image-1", prompt: "a fox" });
    assert.equal(Buffer.from(image.data[0].b64_json, "base64").toString(), "MOCK-PNG gpt-image-1 a fox");
    const stream = await client.images.generate(
      { model: "openai/gpt-image-1", prompt: "a fox", stream: true, partial_images: 2 });
    const types = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, ["image_generation.partial_image", "image_generation.partial_image",
                             "image_generation.completed"]);
  });
});

describe("files and batches", () => {
  test("files: create, list, retrieve, content, delete", async () => {
    const { id, options } = marked();
    const lines = '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{}}\n';
    const file = await client.files.create(
      { file: createReadStream(tempFile("batch.jsonl", lines)), purpose: "batch" }, options);
    assert.ok(file.id.startsWith("file-mock"), JSON.stringify(file));
    assert.equal(file.filename, "batch.jsonl");
    assert.equal(file.bytes, lines.length);
    const listed = [];
    for await (const f of client.files.list()) listed.push(f.id);
    assert.ok(listed.includes(file.id));
    assert.equal((await client.files.retrieve(file.id)).purpose, "batch");
    const content = await (await client.files.content(file.id)).text();
    assert.equal(content, lines);
    assert.equal((await client.files.delete(file.id)).deleted, true);
    await assert.rejects(client.files.retrieve(file.id), OpenAI.NotFoundError);
    const sent = await received(id);
    assert.equal(sent[0].path, "/v1/files");
  });

  test("batches: create, retrieve, list, cancel", async () => {
    const batch = await client.batches.create(
      { input_file_id: "file-abc", endpoint: "/v1/chat/completions", completion_window: "24h" });
    assert.equal(batch.status, "validating");
    assert.equal((await client.batches.retrieve(batch.id)).input_file_id, "file-abc");
    const ids = [];
    for await (const b of client.batches.list()) ids.push(b.id);
    assert.ok(ids.includes(batch.id));
    assert.equal((await client.batches.cancel(batch.id)).status, "cancelling");
  });

  test("batch results: a completed batch's output file, through the gateway", async () => {
    const lines = '{"custom_id":"1"}\n{"custom_id":"2"}\n';
    const input = await client.files.create(
      { file: createReadStream(tempFile("in.jsonl", lines)), purpose: "batch" });
    const batch = await client.batches.create(
      { input_file_id: input.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    assert.equal(batch.status, "completed");
    const { id, options } = marked();
    const results = await fetch(`${dataPlane}/v1/batches/${batch.id}/results`, options);
    assert.equal(results.status, 200);
    const rows = (await results.text()).trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((row) => row.custom_id), ["1", "2"]);
    assert.deepEqual((await received(id)).map((request) => request.path),
                     [`/v1/batches/${batch.id}`, `/v1/files/${batch.output_file_id}/content`]);
    // Not completed yet: a clear error.
    const pending = await client.batches.create(
      { input_file_id: "file-elsewhere", endpoint: "/v1/chat/completions", completion_window: "24h" });
    const early = await fetch(`${dataPlane}/v1/batches/${pending.id}/results`);
    assert.equal(early.status, 502);
    assert.match((await early.json()).error.message, /has no results yet \(status validating\)/);
  });

  test("the provider is named by x-bf-provider or a provider query parameter", async () => {
    const { id, options } = marked({ "x-bf-provider": "openai" });
    const page = await client.files.list({ limit: 5 }, options);
    assert.ok(Array.isArray(page.data));
    const [sent] = await received(id);
    assert.equal(sent.path, "/v1/files?limit=5");
    // The query parameter is the gateway's: it is not sent upstream.
    const marker = marked();
    const answer = await fetch(`${dataPlane}/v1/files?provider=openai&limit=7`,
                               { headers: marker.options.headers });
    assert.equal(answer.status, 200);
    assert.equal((await received(marker.id))[0].path, "/v1/files?limit=7");
  });
});

describe("azure", () => {
  test("speech and images go to the deployment; files and batches to the resource", async () => {
    const { id, options } = marked();
    const audio = await client.audio.speech.create(
      { model: "azure/gpt-4o", voice: "alloy", input: "Hi" }, options);
    assert.equal(Buffer.from(await audio.arrayBuffer()).toString(), "MOCK-AUDIO model=gpt-4o input=Hi");
    await client.images.generate({ model: "azure/gpt-4o", prompt: "x" }, options);
    await client.files.list({}, { headers: { ...options.headers, "x-bf-provider": "azure" } });
    const paths = (await received(id)).map((request) => request.path);
    assert.deepEqual(paths.map((p) => p.replace(/\?.*/, "")), [
      "/openai/deployments/prod-4o/audio/speech",
      "/openai/deployments/prod-4o/images/generations",
      "/openai/files",
    ]);
    for (const path of paths) assert.match(path, /[?&]api-version=/);
  });
});

describe("elevenlabs", () => {
  const voice = "JBFqnCBsd6RMkjVDRZzb";
  test("speech: text-to-speech with xi-api-key, bytes and events", async () => {
    const { id, options } = marked();
    const response = await client.audio.speech.create(
      { model: "elevenlabs/eleven_multilingual_v2", voice, input: "Hello" }, options);
    const expected = `MOCK-11LABS voice=${voice} model=eleven_multilingual_v2 text=Hello`;
    assert.equal(Buffer.from(await response.arrayBuffer()).toString(), expected);
    const [sent] = await received(id);
    assert.equal(sent.path, `/v1/text-to-speech/${voice}?output_format=mp3_44100_128`);
    assert.equal(sent.headers["xi-api-key"], "sk-key-a");
    assert.equal(sent.headers.authorization, undefined);

    const events = await client.audio.speech.create(
      { model: "elevenlabs/eleven_multilingual_v2", voice, input: "Hello", stream_format: "sse" });
    const parsed = (await events.text()).split("\n\n").filter(Boolean).map((e) => JSON.parse(e.slice(6)));
    assert.equal(parsed.at(-1).type, "speech.audio.done");
    const audio = parsed.filter((e) => e.type === "speech.audio.delta")
      .map((e) => Buffer.from(e.audio, "base64")).reduce((a, b) => Buffer.concat([a, b]));
    assert.equal(audio.toString(), expected);
  });

  test("transcription: speech-to-text with model_id and language_code", async () => {
    const { id, options } = marked();
    const transcript = await client.audio.transcriptions.create(
      { file: createReadStream(tempFile("voice.mp3", Buffer.alloc(2048, 3))),
        model: "elevenlabs/scribe_v1", language: "en" }, options);
    assert.match(transcript.text, /^mock 11labs transcript of \d+ bytes by scribe_v1 in en$/);
    const [sent] = await received(id);
    assert.equal(sent.path, "/v1/speech-to-text");
    assert.ok(sent.body.includes('filename="voice.mp3"'));
  });

  test("what ElevenLabs has no endpoint for is a 501 naming the family", async () => {
    await assert.rejects(client.images.generate({ model: "elevenlabs/x", prompt: "x" }), (error) => {
      assert.equal(error.status, 501);
      assert.match(error.message, /image_generation is not served by elevenlabs providers/);
      return true;
    });
  });
});

describe("gemini: speech and images through generateContent", () => {
  test("speech comes back as a WAV file (or raw PCM)", async () => {
    const { id, options } = marked();
    const response = await client.audio.speech.create(
      { model: "gemini/gemini-2.5-flash-preview-tts", voice: "Kore", input: "Hello" }, options);
    assert.equal(response.headers.get("content-type"), "audio/wav");
    const wav = Buffer.from(await response.arrayBuffer());
    assert.equal(wav.subarray(0, 4).toString(), "RIFF");
    assert.equal(wav.subarray(44).toString(), "PCM:Hello");
    const [sent] = await received(id);
    assert.match(sent.path, /\/v1beta\/models\/gemini-2\.5-flash-preview-tts:generateContent$/);
    const body = JSON.parse(sent.body);
    assert.deepEqual(body.generationConfig.responseModalities, ["AUDIO"]);
    assert.equal(body.generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName, "Kore");
    const pcm = await client.audio.speech.create(
      { model: "gemini/tts", voice: "Kore", input: "Hi", response_format: "pcm" });
    assert.equal(Buffer.from(await pcm.arrayBuffer()).toString(), "PCM:Hi");
  });

  test("images come back inline as b64_json", async () => {
    const image = await client.images.generate({ model: "gemini/gemini-2.5-flash-image", prompt: "a fox" });
    assert.equal(Buffer.from(image.data[0].b64_json, "base64").toString(), "MOCK-GEMINI-PNG a fox");
  });

  test("vertex: the same through its Google publisher, with a service-account token", async () => {
    const { id, options } = marked();
    const response = await client.audio.speech.create(
      { model: "vertex/gemini-2.5-flash-preview-tts", voice: "Kore", input: "Hi" }, options);
    assert.equal(response.headers.get("content-type"), "audio/wav");
    assert.equal(Buffer.from(await response.arrayBuffer()).subarray(44).toString(), "PCM:Hi");
    const image = await client.images.generate(
      { model: "vertex/gemini-2.5-flash-image", prompt: "a fox" }, options);
    assert.equal(Buffer.from(image.data[0].b64_json, "base64").toString(), "MOCK-GEMINI-PNG a fox");
    const sent = await received(id);
    assert.match(sent[0].path,
                 /\/projects\/p-1\/locations\/us-central1\/publishers\/google\/models\/gemini-2\.5-flash-preview-tts:generateContent$/);
    assert.match(sent[0].headers.authorization, /^Bearer /);
  });
});

describe("replicate and runway: jobs the gateway polls", () => {
  test("replicate: a prediction, polled until it succeeds", async () => {
    const { id, options } = marked();
    const image = await client.images.generate(
      { model: "replicate/black-forest-labs/flux-schnell", prompt: "a fox", n: 1 }, options);
    assert.match(image.data[0].url, /^https:\/\/mock\.invalid\/pred\d+\.png$/);
    const sent = await received(id);
    assert.equal(sent[0].path, "/v1/models/black-forest-labs/flux-schnell/predictions");
    assert.equal(sent[0].headers.prefer, "wait");
    assert.deepEqual(JSON.parse(sent[0].body), { input: { prompt: "a fox", num_outputs: 1 } });
    assert.equal(sent.length, 3);  // created, processing, succeeded
    assert.match(sent[2].path, /^\/v1\/predictions\/pred\d+$/);
  });

  test("runway: a task, polled until it succeeds", async () => {
    const { id, options } = marked();
    const image = await client.images.generate(
      { model: "runway/gen4_image", prompt: "a fox", size: "1920x1080" }, options);
    assert.match(image.data[0].url, /task\d+\.png$/);
    const sent = await received(id);
    assert.equal(sent[0].path, "/v1/text_to_image");
    assert.equal(sent[0].headers["x-runway-version"], "2024-11-06");
    assert.deepEqual(JSON.parse(sent[0].body),
                     { model: "gen4_image", promptText: "a fox", ratio: "1920:1080" });
  });

  test("a failed job is a 502 with its failure", async () => {
    await assert.rejects(
      client.images.generate({ model: "replicate/owner/model", prompt: "please fail" }),
      (error) => {
        assert.equal(error.status, 502);
        assert.match(error.message, /failed: mock failure/);
        return true;
      });
  });
});

describe("allowed_requests", () => {
  test("a provider allowed to chat only refuses speech, images and transcription", async () => {
    const denied = (error) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError, String(error));
      assert.match(error.message, /is not supported by chat-only provider/);
      return true;
    };
    await assert.rejects(client.audio.speech.create(
      { model: "chat-only/tts-1", voice: "alloy", input: "x" }), denied);
    await assert.rejects(client.images.generate({ model: "chat-only/dall-e-3", prompt: "x" }), denied);
    await assert.rejects(client.audio.transcriptions.create(
      { file: createReadStream(tempFile("a.wav", "x")), model: "chat-only/whisper-1" }), denied);
    await assert.rejects(client.files.list({}, { headers: { "x-bf-provider": "chat-only" } }), denied);
  });
});
