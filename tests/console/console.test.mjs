// The admin web console, driven as a person would in Debian's headless Chromium
// (puppeteer-core, pinned; no browser download). Run by tests/integration/console_test.cc with:
//   SWITCHYARD_CONSOLE     the control plane's REST address (host:port), which serves the console
//   SWITCHYARD_DATA_PLANE  a data plane of that control plane (host:port)
//   SWITCHYARD_MOCK        the mock provider (host:port)
//   SWITCHYARD_TOKEN       an admin token; SWITCHYARD_VIEWER_JWT a viewer's JWT
//   SWITCHYARD_SCREENSHOTS where each page's screenshot goes
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const consoleUrl = `http://${process.env.SWITCHYARD_CONSOLE}/`;
const dataPlane = `http://${process.env.SWITCHYARD_DATA_PLANE}`;
const mock = process.env.SWITCHYARD_MOCK;
const token = process.env.SWITCHYARD_TOKEN;
const shots = process.env.SWITCHYARD_SCREENSHOTS;
mkdirSync(shots, { recursive: true });

let browser;
let page;
const consoleErrors = [];
const requestedUrls = [];

before(async () => {
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (request) => requestedUrls.push(request.url()));
  page.setDefaultTimeout(15000);
});

after(async () => { await browser?.close(); });

async function shot(name) { await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); }

// Waits until the page has drawn what it was loading (the console sets <html data-loading>).
async function ready(target = page) {
  await target.waitForFunction(() => !document.documentElement.dataset.loading);
}

// Goes to a page of the console (a link a person would follow) and waits until it is drawn.
async function open(hash) {
  await page.goto(`${consoleUrl}${hash}`);
  await page.waitForFunction((h) => location.hash === h && document.documentElement.dataset.view === h &&
    !document.documentElement.dataset.loading, {}, hash);
}

// The input a <label> names (as a person finds it).
async function byLabel(text, within = 'body') {
  await ready();
  const handle = await page.waitForFunction((label, scope) => {
    const root = document.querySelector(scope);
    if (!root) return null;
    for (const l of root.querySelectorAll('label')) {
      if (l.textContent.trim() === label && l.htmlFor) return document.getElementById(l.htmlFor);
    }
    return null;
  }, {}, text, within);
  return handle.asElement();
}

async function clickButton(text) {
  await ready();
  const button = await page.waitForFunction((label) => [...document.querySelectorAll('button, a.button')]
    .find((b) => b.textContent.trim() === label && !b.disabled && b.offsetParent !== null), {}, text);
  await button.asElement().click();
}

async function waitText(text) {
  await page.waitForFunction((t) => document.body.innerText.includes(t), {}, text);
}

async function typeInto(element, text) {
  await element.click({ clickCount: 3 });
  await element.press('Backspace');
  await element.type(text);
}

function chat(model) {
  return fetch(`${dataPlane}/v1/chat/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function admin(method, path, body, headers = {}) {
  const response = await fetch(`${consoleUrl}${path.slice(1)}`, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: await response.json().catch(() => null), etag: response.headers.get('ETag') };
}

test('a wrong token is refused; the right one signs in', async () => {
  await page.goto(consoleUrl);
  const input = await byLabel('Admin token or JWT');
  await input.type('not-the-token');
  await clickButton('Sign in');
  await waitText('This credential is not accepted.');
  await shot('sign-in');
  await typeInto(input, token);
  await clickButton('Sign in');
  await page.waitForSelector('h1');
  await waitText('Add provider');
  // Signed in: the credential is in no URL and in no storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href);
  assert.ok(!stored.includes(token), 'the token must not be stored or in the URL');
});

test('create a custom provider on openai with only chat allowed; a data plane serves it and refuses embeddings', async () => {
  await open(`#/providers`);
  await clickButton('Add provider');
  await typeInto(await byLabel('Name'), 'team-chat');
  await (await byLabel('Custom provider (built on a standard type)')).click();
  await (await byLabel('Base provider type')).select('openai');
  await (await byLabel('Allow only the request types checked below (unchecked: every type is allowed)')).click();
  // Every toggle starts allowed: leave chat_completion and its stream, turn the rest off.
  const toggles = await page.$$eval('fieldset legend', (legends) => legends.map((l) => l.textContent));
  assert.ok(toggles.includes('Allowed request types'));
  await page.$$eval('[data-path^="custom_provider_config.allowed_requests."] input', (inputs) => {
    for (const input of inputs) {
      const type = input.closest('[data-path]').dataset.path.split('.').pop();
      if (input.checked !== (type === 'chat_completion' || type === 'chat_completion_stream')) input.click();
    }
  });
  await clickButton('Add key');
  await typeInto(await byLabel('Key name'), 'primary');
  await typeInto(await byLabel('Value'), 'sk-console-secret-1234');
  await typeInto(await byLabel('Base URL'), `http://${mock}`);
  await shot('provider-create');
  await clickButton('Create provider');
  await page.waitForFunction(() => location.hash === '#/providers');
  await waitText('team-chat');
  await shot('providers');

  // The data plane gets it and serves chat; embeddings are refused (403).
  let answer;
  for (let i = 0; i < 100; ++i) {
    answer = await chat('team-chat/gpt-4o');
    if (answer.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(answer.status, 200);
  const embeddings = await fetch(`${dataPlane}/v1/embeddings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'team-chat/text-embedding-3-small', input: 'x' }),
  });
  assert.equal(embeddings.status, 403);

  // The secret is stored, shown redacted, never in the page.
  const stored = await admin('GET', '/api/providers/team-chat');
  assert.equal(stored.json.keys[0].name, 'primary');
  assert.ok(!(await page.content()).includes('sk-console-secret-1234'));
});

test('a validation error appears next to the field it names', async () => {
  await open(`#/providers/team-chat`);
  await page.waitForSelector('[data-path="network_config.base_url"] input');
  await typeInto(await byLabel('Base URL'), 'ftp://nowhere');
  await clickButton('Save changes');
  const message = await page.waitForSelector('[data-path="network_config.base_url"] .field-error');
  assert.match(await message.evaluate((n) => n.textContent), /base_url/);
  const invalid = await page.$eval('[data-path="network_config.base_url"] input', (i) => i.getAttribute('aria-invalid'));
  assert.equal(invalid, 'true');
});

test('edit a key\'s weight; the secret is kept', async () => {
  await open(`#/providers`);
  await open(`#/providers/team-chat`);
  const weight = await page.waitForSelector('[data-path="keys[0].weight"] input');
  await typeInto(weight, '3');
  await clickButton('Save changes');
  await page.waitForFunction(() => location.hash === '#/providers');
  const stored = await admin('GET', '/api/providers/team-chat');
  assert.equal(stored.json.keys[0].weight, 3);
  assert.match(stored.json.keys[0].value.value, /^sk-c\*+1234$/);
  // Still served with the same secret: the mock saw it.
  const answer = await chat('team-chat/gpt-4o');
  assert.equal(answer.status, 200);
});

test('a concurrent change is shown as a conflict, never overwritten', async () => {
  await open(`#/providers`);
  await open(`#/providers/team-chat`);
  const weight = await page.waitForSelector('[data-path="keys[0].weight"] input');
  // Someone else changes the provider meanwhile (through the API).
  const current = await admin('GET', '/api/providers/team-chat');
  const changed = { ...current.json, description: 'changed by someone else' };
  delete changed.config_hash;
  assert.equal((await admin('PUT', '/api/providers/team-chat', changed, { 'If-Match': current.etag })).status, 200);
  await typeInto(weight, '7');
  await clickButton('Save changes');
  await waitText('was changed by someone else');
  await shot('provider-conflict');
  const after = await admin('GET', '/api/providers/team-chat');
  assert.equal(after.json.description, 'changed by someone else');
  assert.equal(after.json.keys[0].weight, 3, 'the stale edit must not overwrite');
});

test('the fleet page shows the data plane in sync', async () => {
  await open(`#/fleet`);
  await waitText('in_sync');
  await shot('fleet');
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /dp-console/);
});

test('request logs, virtual keys, credentials and model routes pages', async () => {
  await open(`#/logs`);
  await waitText('Apply filters');
  await (await byLabel('Provider')).type('team-chat');
  await clickButton('Apply filters');
  // The chats above are logged (shipped in batches): the filter finds them, the detail opens.
  let listed = false;
  for (let i = 0; i < 50 && !listed; ++i) {
    await page.waitForFunction(() => document.querySelector('table') || document.querySelector('.empty'));
    listed = await page.evaluate(() => Boolean(document.querySelector('table a')));
    if (!listed) {
      await new Promise((r) => setTimeout(r, 200));
      await clickButton('Apply filters');
    }
  }
  assert.ok(listed, 'a request log of team-chat is listed');
  await shot('logs');
  await page.evaluate(() => document.querySelector('table a').click());
  await waitText('Back to logs');
  const detail = await page.evaluate(() => document.querySelector('main').innerText);
  assert.match(detail, /team-chat/);
  assert.match(detail, /chat_completion/);
  await shot('log-detail');

  await open(`#/virtual-keys`);
  await clickButton('Add virtual key');
  const editor = await page.waitForSelector('textarea');
  await editor.evaluate((t) => { t.value = JSON.stringify({ name: 'console-app', rate_limit: { request_max_limit: 10, request_reset_duration: '1m' } }); });
  await clickButton('Create virtual key');
  await waitText('Copy this key now');
  const value = await page.$eval('code', (c) => c.textContent);
  assert.match(value, /^sk-bf-/);
  await open(`#/virtual-keys`);
  await waitText('console-app');
  await shot('virtual-keys');
  for (const [hash, title] of [['#/credentials', 'Credentials'], ['#/model-routes', 'Model routes']]) {
    await open(hash);
    await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, {}, title);
    await shot(hash.slice(2));
  }
});

test('delete with confirmation', async () => {
  await open(`#/providers`);
  await (await page.waitForSelector('button[aria-label="Delete team-chat"]')).click();
  await page.waitForSelector('dialog[open]');
  await shot('provider-delete-confirm');
  await page.click('#confirm-yes');
  await page.waitForFunction(() => !document.querySelector('button[aria-label="Delete team-chat"]') &&
    !document.querySelector('main').innerText.includes('team-chat'));
  assert.equal((await admin('GET', '/api/providers/team-chat')).status, 404);
});

test('keyboard: every control is reachable and labelled; a narrow window works', async () => {
  await open(`#/providers/new`);
  await page.waitForSelector('form');
  const unlabelled = await page.$$eval('input, select, textarea', (controls) => controls
    .filter((c) => c.type !== 'hidden' && !(c.id && document.querySelector(`label[for="${c.id}"]`)) && !c.getAttribute('aria-label'))
    .map((c) => c.outerHTML));
  assert.deepEqual(unlabelled, []);
  // Tab reaches the first field of the form from the page's start.
  await page.focus('body');
  let reached = false;
  for (let i = 0; i < 40 && !reached; ++i) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id && document.querySelector(`label[for="${document.activeElement.id}"]`)?.textContent === 'Name');
  }
  assert.ok(reached, 'the Name field is reachable with Tab');
  await page.setViewport({ width: 420, height: 800 });
  await open(`#/providers`);
  await waitText('Add provider');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits a narrow window (overflow ${overflow}px)`);
  await shot('providers-narrow');
  await page.setViewport({ width: 1280, height: 800 });
});

test('a viewer sees no edit buttons, and the API refuses its writes anyway', async () => {
  const viewer = await browser.newPage();
  await viewer.setViewport({ width: 1280, height: 800 });
  await viewer.goto(consoleUrl);
  await viewer.waitForSelector('#token');
  await viewer.type('#token', process.env.SWITCHYARD_VIEWER_JWT);
  await viewer.click('button[type="submit"]');
  await viewer.waitForFunction(() => document.querySelector('#who')?.textContent.includes('viewer'));
  await viewer.waitForFunction(() => document.querySelector('h1')?.textContent === 'Providers');
  const buttons = await viewer.$$eval('button, a.button', (all) => all.map((b) => b.textContent.trim()));
  assert.ok(!buttons.includes('Add provider') && !buttons.includes('Delete'), buttons.join(','));
  await viewer.goto(`${consoleUrl}#/providers/openai`);
  await viewer.waitForFunction(() => document.body.innerText.includes('read only'));
  const disabled = await viewer.$$eval('form input', (inputs) => inputs.every((i) => i.disabled));
  assert.ok(disabled);
  await viewer.screenshot({ path: `${shots}/provider-viewer.png`, fullPage: true });
  const refused = await fetch(`${consoleUrl}api/providers/openai`, {
    method: 'DELETE', headers: { Authorization: `Bearer ${process.env.SWITCHYARD_VIEWER_JWT}` },
  });
  assert.equal(refused.status, 403);
  await viewer.close();
});

test('no page error, no request outside the control plane, no secret in a URL', () => {
  assert.deepEqual(consoleErrors.filter((e) => !e.includes('412') && !e.includes('400') && !e.includes('401')), []);
  const origin = new URL(consoleUrl).origin;
  const outside = requestedUrls.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
  assert.deepEqual(outside, []);
  assert.ok(!requestedUrls.some((u) => u.includes(token)));
});
