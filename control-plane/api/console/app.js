// Switchyard's admin console: one page, no framework, no build step. Every view calls the same
// REST API as curl does (/api/...), with the admin token or JWT the user signed in with. The
// credential lives in this module's memory only: never in a URL, in storage or in a log, so a
// reload asks for it again.

const STANDARD_TYPES = [
  'openai', 'azure', 'anthropic', 'bedrock', 'cohere', 'vertex', 'vllm', 'mistral', 'ollama',
  'groq', 'sgl', 'parasail', 'perplexity', 'replicate', 'cerebras', 'gemini', 'openrouter',
  'elevenlabs', 'huggingface', 'nebius', 'xai', 'runway', 'fireworks',
];
const REQUEST_TYPES = [
  'list_models', 'text_completion', 'text_completion_stream', 'chat_completion',
  'chat_completion_stream', 'responses', 'responses_stream', 'count_tokens', 'embedding',
  'speech', 'speech_stream', 'transcription', 'transcription_stream', 'image_generation',
  'image_generation_stream', 'file_upload', 'file_list', 'file_retrieve', 'file_delete',
  'file_content', 'batch_create', 'batch_list', 'batch_retrieve', 'batch_cancel', 'batch_results',
];

let credential = '';  // the admin token or JWT (memory only)
let session = null;   // {actor, role, can_write, auth}

// ---- helpers --------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'value') node.value = value;
    else if (name === 'checked') node.checked = Boolean(value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function main() { return document.getElementById('main'); }

// Views load asynchronously; only the latest one started may draw (a slow answer for a page
// the user already left must not replace the page they are on).
// While a view loads, <html data-loading> is set (what a test waits on, as a person waits for
// the page).
let generation = 0;
function begin() {
  document.documentElement.dataset.loading = 'true';
  return ++generation;
}

function show(ticket, ...nodes) {
  if (ticket !== generation) return;
  delete document.documentElement.dataset.loading;
  document.documentElement.dataset.view = location.hash;
  const root = main();
  root.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined));
  const heading = root.querySelector('h1');
  document.title = heading ? `${heading.textContent} · Switchyard` : 'Switchyard console';
}

function announce(text) {
  const status = document.getElementById('status');
  status.textContent = text;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { status.textContent = ''; }, 4000);
}

function banner(kind, ...content) {
  return el('div', { class: `banner ${kind}`, role: kind === 'ok' ? 'status' : 'alert' }, ...content);
}

function shortHash(hash) { return hash ? hash.slice(0, 12) : ''; }

async function api(method, path, body, headers = {}) {
  const sent = { ...headers };
  if (credential) sent.Authorization = `Bearer ${credential}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers: sent, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { status: 0, ok: false, json: null, message: `the control plane cannot be reached (${error.message})` };
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  const error = json && json.error ? json.error : null;
  if (response.status === 401 && session && path !== '/api/session') {
    signOut('The control plane no longer accepts this credential: sign in again.');
  }
  return {
    status: response.status, ok: response.ok, json,
    etag: response.headers.get('ETag'), revision: response.headers.get('X-Switchyard-Revision'),
    message: error ? error.message : (response.ok ? '' : `HTTP ${response.status}`),
    param: error ? error.param : null,
  };
}

function confirmDialog(question, action) {
  return new Promise((resolve) => {
    const dialog = el('dialog', { 'aria-labelledby': 'confirm-title' },
      el('h2', { id: 'confirm-title' }, question),
      el('div', { class: 'toolbar' },
        el('button', { type: 'button', onclick: () => { dialog.close(); resolve(false); } }, 'Cancel'),
        el('button', { type: 'button', class: 'danger', id: 'confirm-yes',
                       onclick: () => { dialog.close(); resolve(true); } }, action)));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

function table(columns, rows, empty) {
  if (rows.length === 0) return el('div', { class: 'table-wrap' }, el('p', { class: 'empty' }, empty));
  return el('div', { class: 'table-wrap' },
    el('table', {},
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c.label)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', { class: c.mono ? 'mono' : null }, c.cell(row))))))));
}

// ---- form fields bound to paths of a JSON object -----------------------------------------------

function getPath(object, path) {
  return path.split('.').reduce((o, key) => (o === null || o === undefined ? undefined : o[key]), object);
}

function setPath(object, path, value) {
  const keys = path.split('.');
  let o = object;
  for (const key of keys.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null) o[key] = {};
    o = o[key];
  }
  if (value === undefined) delete o[keys.at(-1)];
  else o[keys.at(-1)] = value;
}

// An env-or-literal value as the API answers it ({value, env_var, from_env}) or as sent (a string).
function envText(value) {
  if (value && typeof value === 'object') return value.value ?? '';
  return value ?? '';
}

// One input. `spec`: {path, label, type, options, hint}; its `data-path` is the API's name for
// the field (errors name it in `param`). Returns {node, read(): value}.
function field(spec, value, prefix = '') {
  const id = nextId('f');
  const apiPath = prefix + spec.path;
  const hint = spec.hint ? el('div', { class: 'hint', id: `${id}-hint` }, spec.hint) : null;
  const described = hint ? `${id}-hint` : null;
  let input;
  let read;
  switch (spec.type) {
    case 'bool':
      input = el('input', { type: 'checkbox', id, checked: Boolean(value), 'aria-describedby': described });
      read = () => input.checked;
      return finish(el('div', { class: 'field check', 'data-path': apiPath }, input, el('label', { for: id }, spec.label), hint), read);
    case 'number':
      input = el('input', { type: 'number', id, value: value ?? '', step: spec.step ?? 'any', min: spec.min ?? null, 'aria-describedby': described });
      read = () => (input.value === '' ? undefined : Number(input.value));
      break;
    case 'select':
      input = el('select', { id, 'aria-describedby': described },
        spec.options.map((option) => el('option', { value: option, selected: option === (value ?? spec.options[0]) }, option)));
      read = () => input.value;
      break;
    case 'textarea':
      input = el('textarea', { id, 'aria-describedby': described }, value ?? '');
      read = () => input.value;
      break;
    case 'map': {  // {"name": "value"} as lines "name: value"
      const lines = Object.entries(value ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');
      input = el('textarea', { id, 'aria-describedby': described, placeholder: 'name: value (one per line)' }, lines);
      read = () => {
        const out = {};
        for (const line of input.value.split('\n')) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const text = line.slice(colon + 1).trim();
          out[line.slice(0, colon).trim()] = spec.booleans ? text === 'true' : text;
        }
        return out;
      };
      break;
    }
    case 'list':
      input = el('input', { type: 'text', id, value: (value ?? []).join(', '), 'aria-describedby': described });
      read = () => input.value.split(',').map((s) => s.trim()).filter(Boolean);
      break;
    case 'json':
      input = el('textarea', { id, 'aria-describedby': described }, value === undefined ? '' : JSON.stringify(value, null, 2));
      read = () => {
        if (input.value.trim() === '') return undefined;
        try { return JSON.parse(input.value); } catch { throw fieldError(apiPath, 'is not valid JSON'); }
      };
      break;
    case 'secret':
    case 'envsecret':
      // Shown redacted as the API answers it; sent back unchanged, it keeps the stored secret.
      input = el('input', { type: 'password', id, value: envText(value), autocomplete: 'off', 'aria-describedby': described });
      read = () => input.value;
      break;
    default:  // text, env
      input = el('input', { type: 'text', id, value: spec.type === 'env' ? envText(value) : (value ?? ''), 'aria-describedby': described });
      read = () => input.value;
  }
  return finish(el('div', { class: 'field', 'data-path': apiPath }, el('label', { for: id }, spec.label), input, hint), read);

  function finish(node, reader) { return { node, read: reader, spec }; }
}

function fieldError(path, message) {
  const error = new Error(`${path} ${message}`);
  error.param = path;
  return error;
}

// Shows an API error next to the field it names (its `param`), else above the form.
function showError(form, top, message, param) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const old of form.querySelectorAll('.invalid')) old.classList.remove('invalid');
  const target = param ? form.querySelector(`[data-path="${CSS.escape(param)}"]`) : null;
  top.replaceChildren();
  if (target) {
    const id = nextId('err');
    target.classList.add('invalid');
    target.append(el('div', { class: 'field-error', id, role: 'alert' }, message));
    const input = target.querySelector('input, select, textarea');
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', id);
      input.focus();
    }
  } else {
    top.append(banner('error', message));
    top.scrollIntoView({ block: 'nearest' });
  }
}

// ---- sign-in ------------------------------------------------------------------------------------

function signOut(message) {
  credential = '';
  session = null;
  document.getElementById('top').hidden = true;
  location.hash = '#/providers';
  signInView(message);
}

function signInView(message) {
  const ticket = begin();
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', required: true });
  const top = el('div');
  if (message) top.append(banner('error', message));
  const form = el('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    el('h1', { id: 'signin-title' }, 'Sign in to Switchyard'),
    top,
    el('div', { class: 'field' },
      el('label', { for: 'token' }, 'Admin token or JWT'), input,
      el('div', { class: 'hint' }, 'The same credential as the admin API (SWITCHYARD_ADMIN_TOKEN or a JWT). It is kept in this page only.')),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    credential = input.value.trim();
    const who = await api('GET', '/api/session');
    if (!who.ok) {
      credential = '';
      top.replaceChildren(banner('error', who.status === 401 || who.status === 403
        ? 'This credential is not accepted.' : who.message));
      input.focus();
      return;
    }
    startSession(who.json);
  });
  show(ticket, form);
  input.focus();
}

function startSession(who) {
  session = who;
  document.getElementById('top').hidden = false;
  document.getElementById('who').textContent =
    who.auth === 'open' ? 'development mode (no admin auth)' : `${who.actor} · ${who.role}`;
  document.getElementById('sign-out').hidden = who.auth === 'open';
  route();
}

const canWrite = () => session && session.can_write;

// ---- providers -------------------------------------------------------------------------------

function baseType(provider) {
  return provider.custom_provider_config?.base_provider_type || provider.name;
}

async function providersView() {
  const ticket = begin();
  const result = await api('GET', '/api/providers');
  if (!result.ok) return show(ticket, el('h1', {}, 'Providers'), banner('error', result.message));
  const providers = result.json.providers ?? [];
  const columns = [
    { label: 'Name', cell: (p) => el('a', { href: `#/providers/${encodeURIComponent(p.name)}` }, p.name) },
    { label: 'Base type', cell: (p) => baseType(p) },
    { label: 'Status', cell: (p) => el('span', { class: `badge ${p.provider_status ?? p.status}` }, p.provider_status ?? p.status ?? '') },
    { label: 'Keys', cell: (p) => String((p.keys ?? []).length) },
    { label: 'Config hash', mono: true, cell: (p) => el('span', { title: p.config_hash }, shortHash(p.config_hash)) },
    { label: 'Revision', cell: (p) => String(p.revision ?? '') },
  ];
  if (canWrite()) {
    columns.push({ label: 'Actions', cell: (p) => el('button', {
      type: 'button', class: 'danger', 'aria-label': `Delete ${p.name}`,
      onclick: () => deleteProvider(p.name),
    }, 'Delete') });
  }
  show(ticket, 
    el('div', { class: 'toolbar' }, el('h1', {}, 'Providers'),
      canWrite() ? el('a', { class: 'button primary', href: '#/providers/new' }, 'Add provider') : null),
    table(columns, providers, 'No providers yet.'));
}

async function deleteProvider(name) {
  if (!await confirmDialog(`Delete provider "${name}"? Data planes stop serving it.`, 'Delete')) return;
  const result = await api('DELETE', `/api/providers/${encodeURIComponent(name)}`);
  if (!result.ok) {
    show(begin(), el('h1', {}, 'Providers'), banner('error', `Could not delete ${name}: ${result.message}`));
    return;
  }
  announce(`Provider ${name} deleted`);
  if (location.hash !== '#/providers') location.hash = '#/providers';
  else providersView();
}

const KEY_FIELDS = [
  { path: 'name', label: 'Key name' },
  { path: 'value', label: 'Value', type: 'envsecret', hint: 'A literal secret or env.NAME. Shown redacted; left as it is, the stored secret is kept.' },
  { path: 'models', label: 'Models', type: 'list', hint: 'Comma-separated; empty or * means every model.' },
  { path: 'weight', label: 'Weight', type: 'number', min: 0 },
  { path: 'enabled', label: 'Enabled', type: 'bool' },
  { path: 'use_for_batch_api', label: 'Use for the batch API', type: 'bool' },
];
const KEY_FAMILY_FIELDS = {
  'Azure': [
    { path: 'azure_key_config.endpoint', label: 'Endpoint', type: 'env' },
    { path: 'azure_key_config.api_version', label: 'API version', type: 'env' },
    { path: 'azure_key_config.deployments', label: 'Deployments (model: deployment)', type: 'map' },
    { path: 'azure_key_config.client_id', label: 'Client ID', type: 'env' },
    { path: 'azure_key_config.client_secret', label: 'Client secret', type: 'envsecret' },
    { path: 'azure_key_config.tenant_id', label: 'Tenant ID', type: 'env' },
  ],
  'Vertex': [
    { path: 'vertex_key_config.project_id', label: 'Project ID', type: 'env' },
    { path: 'vertex_key_config.project_number', label: 'Project number', type: 'env' },
    { path: 'vertex_key_config.region', label: 'Region', type: 'env' },
    { path: 'vertex_key_config.auth_credentials', label: 'Auth credentials', type: 'envsecret' },
    { path: 'vertex_key_config.deployments', label: 'Deployments (model: endpoint)', type: 'map' },
  ],
  'Bedrock': [
    { path: 'bedrock_key_config.access_key', label: 'Access key', type: 'envsecret' },
    { path: 'bedrock_key_config.secret_key', label: 'Secret key', type: 'envsecret' },
    { path: 'bedrock_key_config.session_token', label: 'Session token', type: 'envsecret' },
    { path: 'bedrock_key_config.region', label: 'Region', type: 'env' },
    { path: 'bedrock_key_config.arn', label: 'ARN', type: 'env' },
    { path: 'bedrock_key_config.deployments', label: 'Deployments (model: inference profile)', type: 'map' },
    { path: 'bedrock_key_config.batch_s3_config', label: 'Batch S3 config (JSON)', type: 'json' },
  ],
  'Hugging Face': [
    { path: 'huggingface_key_config.deployments', label: 'Deployments (model: endpoint)', type: 'map' },
  ],
};
const PROVIDER_SECTIONS = [
  ['Network', [
    { path: 'network_config.base_url', label: 'Base URL', hint: 'Empty: the family\'s default.' },
    { path: 'network_config.default_request_timeout_in_seconds', label: 'Request timeout (s)', type: 'number', min: 1 },
    { path: 'network_config.stream_idle_timeout_in_seconds', label: 'Stream idle timeout (s)', type: 'number', min: 1 },
    { path: 'network_config.max_retries', label: 'Max retries', type: 'number', min: 0, step: 1 },
    { path: 'network_config.retry_backoff_initial', label: 'Retry backoff, initial (ms)', type: 'number', min: 0, step: 1 },
    { path: 'network_config.retry_backoff_max', label: 'Retry backoff, max (ms)', type: 'number', min: 0, step: 1 },
    { path: 'network_config.extra_headers', label: 'Extra headers', type: 'map' },
    { path: 'network_config.beta_header_overrides', label: 'Beta header overrides (prefix: true|false)', type: 'map', booleans: true },
    { path: 'network_config.ca_cert_pem', label: 'CA certificate (PEM)', type: 'textarea' },
    { path: 'network_config.insecure_skip_verify', label: 'Skip TLS verification (insecure)', type: 'bool' },
  ]],
  ['Concurrency', [
    { path: 'concurrency_and_buffer_size.concurrency', label: 'Concurrency', type: 'number', min: 1, step: 1 },
    { path: 'concurrency_and_buffer_size.buffer_size', label: 'Buffer size', type: 'number', min: 1, step: 1 },
  ]],
  ['Proxy', [
    { path: 'proxy_config.type', label: 'Proxy type', type: 'select', options: ['none', 'http', 'socks5', 'environment'] },
    { path: 'proxy_config.url', label: 'Proxy URL' },
    { path: 'proxy_config.username', label: 'Proxy username' },
    { path: 'proxy_config.password', label: 'Proxy password', type: 'secret' },
    { path: 'proxy_config.ca_cert_pem', label: 'Proxy CA certificate (PEM)', type: 'textarea' },
  ]],
  ['Raw requests and responses', [
    { path: 'send_back_raw_request', label: 'Send back the raw request', type: 'bool' },
    { path: 'send_back_raw_response', label: 'Send back the raw response', type: 'bool' },
    { path: 'store_raw_request_response', label: 'Store raw request and response in logs', type: 'bool' },
    { path: 'raw_log_max_bytes', label: 'Raw log max bytes', type: 'number', min: 0, step: 1 },
  ]],
];

async function providerFormView(name) {
  const ticket = begin();
  const creating = name === undefined;
  let provider = {};
  let etag = null;
  if (!creating) {
    const result = await api('GET', `/api/providers/${encodeURIComponent(name)}`);
    if (!result.ok) return show(ticket, el('h1', {}, `Provider ${name}`), banner('error', result.message));
    provider = result.json;
    etag = result.etag;
  }
  const readonly = !canWrite();
  const fields = [];
  const add = (built) => { fields.push(built); return built.node; };
  const top = el('div');

  const general = el('fieldset', {}, el('legend', {}, 'Provider'));
  const grid = el('div', { class: 'grid' });
  general.append(grid);
  let nameInput = null;
  if (creating) {
    const built = field({ path: 'provider', label: 'Name', hint: 'A standard type (openai, groq, ...) or your own name for a custom provider.' }, '');
    nameInput = built.node.querySelector('input');
    grid.append(built.node);
  } else {
    grid.append(el('div', { class: 'field' }, el('span', { class: 'hint' }, 'Name'), el('strong', {}, provider.name)),
      el('div', { class: 'field' }, el('span', { class: 'hint' }, 'Config hash'), el('span', { class: 'mono', title: provider.config_hash }, shortHash(provider.config_hash))));
  }
  grid.append(add(field({ path: 'description', label: 'Description' }, provider.description)));

  // Custom provider: built on a standard type, with its allowed request types (seed 003:
  // allowed_requests omitted = every type allowed; present = only those set).
  const custom = provider.custom_provider_config;
  const customBox = field({ path: 'custom_provider_config', label: 'Custom provider (built on a standard type)', type: 'bool' }, Boolean(custom));
  const customFields = el('div', { hidden: !custom });
  const baseField = field({ path: 'custom_provider_config.base_provider_type', label: 'Base provider type', type: 'select', options: STANDARD_TYPES }, custom?.base_provider_type);
  const keyless = field({ path: 'custom_provider_config.is_key_less', label: 'Keyless (no API key)', type: 'bool' }, custom?.is_key_less);
  const overrides = field({ path: 'custom_provider_config.request_path_overrides', label: 'Request path overrides (request type: path)', type: 'map' }, custom?.request_path_overrides);
  const restricted = Boolean(custom && custom.allowed_requests);
  const restrictBox = field({ path: 'custom_provider_config.allowed_requests', label: 'Allow only the request types checked below (unchecked: every type is allowed)', type: 'bool' }, restricted);
  const toggles = REQUEST_TYPES.map((type) => field({ path: `custom_provider_config.allowed_requests.${type}`, label: type, type: 'bool' },
    restricted ? Boolean(custom.allowed_requests[type]) : true));
  const toggleBox = el('fieldset', { hidden: !restricted }, el('legend', {}, 'Allowed request types'), el('div', { class: 'grid' }, toggles.map((t) => t.node)));
  customBox.node.querySelector('input').addEventListener('change', (e) => { customFields.hidden = !e.target.checked; });
  restrictBox.node.querySelector('input').addEventListener('change', (e) => { toggleBox.hidden = !e.target.checked; });
  customFields.append(el('div', { class: 'grid' }, baseField.node, keyless.node, restrictBox.node), overrides.node, toggleBox);
  general.append(customBox.node, customFields);

  // Keys.
  const keysBox = el('fieldset', {}, el('legend', {}, 'Keys'));
  const keyList = el('div');
  const keyEditors = [];
  const addKey = (key) => {
    const index = keyEditors.length;
    const own = [];
    const box = el('fieldset', { class: 'key' }, el('legend', {}, key.name ? `Key ${key.name}` : 'New key'));
    const keyGrid = el('div', { class: 'grid' });
    for (const spec of KEY_FIELDS) {
      const value = spec.path === 'enabled' && key.enabled === undefined ? true : getPath(key, spec.path);
      const built = field(spec, value, `keys[${index}].`);
      own.push(built);
      keyGrid.append(built.node);
    }
    box.append(keyGrid);
    for (const [family, specs] of Object.entries(KEY_FAMILY_FIELDS)) {
      const grid2 = el('div', { class: 'grid' });
      for (const spec of specs) {
        const built = field(spec, getPath(key, spec.path), `keys[${index}].`);
        own.push(built);
        grid2.append(built.node);
      }
      const used = specs.some((s) => getPath(key, s.path) !== undefined);
      box.append(el('details', { open: used }, el('summary', {}, `${family} settings`), grid2));
    }
    const editor = { key, fields: own, removed: false, box };
    if (!readonly) {
      box.append(el('button', { type: 'button', class: 'danger', onclick: () => { editor.removed = true; box.remove(); } }, 'Remove key'));
    }
    keyEditors.push(editor);
    keyList.append(box);
  };
  for (const key of provider.keys ?? []) addKey(key);
  keysBox.append(keyList);
  if (!readonly) keysBox.append(el('button', { type: 'button', onclick: () => addKey({ weight: 1 }) }, 'Add key'));

  const sections = PROVIDER_SECTIONS.map(([legend, specs]) => el('fieldset', {}, el('legend', {}, legend),
    el('div', { class: 'grid' }, specs.map((spec) => add(field(spec, getPath(provider, spec.path)))))));

  const form = el('form', { 'aria-labelledby': 'provider-title', novalidate: true },
    top, general, keysBox, sections,
    readonly ? el('p', { class: 'hint' }, 'Signed in as a viewer: read only.')
      : el('div', { class: 'toolbar' },
        el('button', { type: 'submit', class: 'primary' }, creating ? 'Create provider' : 'Save changes'),
        el('a', { class: 'button', href: '#/providers' }, 'Cancel'),
        creating ? null : el('button', { type: 'button', class: 'danger', onclick: () => deleteProvider(provider.name) }, 'Delete provider')));
  if (readonly) for (const control of form.querySelectorAll('input, select, textarea')) control.disabled = true;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try {
      body = structuredClone(provider);
      for (const f of fields) setPath(body, f.spec.path, f.read());
      if (customBox.read()) {
        setPath(body, 'custom_provider_config.base_provider_type', baseField.read());
        setPath(body, 'custom_provider_config.is_key_less', keyless.read());
        setPath(body, 'custom_provider_config.request_path_overrides', overrides.read());
        if (restrictBox.read()) {
          const allowed = {};
          REQUEST_TYPES.forEach((type, i) => { allowed[type] = toggles[i].read(); });
          body.custom_provider_config.allowed_requests = allowed;
        } else {
          delete body.custom_provider_config.allowed_requests;
        }
      } else {
        delete body.custom_provider_config;
      }
      body.keys = keyEditors.filter((k) => !k.removed).map(({ key, fields: keyFields }) => {
        const out = structuredClone(key);
        for (const f of keyFields) {
          const value = f.read();
          const empty = value === '' || value === undefined || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
          const family = f.spec.path.includes('.') ? f.spec.path.split('.')[0] : null;
          if (family && empty) setPath(out, f.spec.path, undefined);
          else setPath(out, f.spec.path, value);
        }
        for (const family of ['azure_key_config', 'vertex_key_config', 'bedrock_key_config', 'huggingface_key_config']) {
          if (out[family] && Object.keys(out[family]).length === 0) delete out[family];
        }
        return out;
      });
      delete body.config_hash;
      delete body.revision;
      if (creating) {
        body.provider = nameInput.value.trim();
        delete body.name;
      }
    } catch (error) {
      showError(form, top, error.message, error.param);
      return;
    }
    const target = creating ? '/api/providers' : `/api/providers/${encodeURIComponent(provider.name)}`;
    const result = await api(creating ? 'POST' : 'PUT', target, body, creating ? {} : { 'If-Match': etag });
    if (result.status === 412) {
      top.replaceChildren(banner('conflict',
        el('strong', {}, 'Conflict: '),
        `provider "${provider.name}" was changed by someone else after you opened it. Your edits were not saved. `,
        el('a', { href: `#/providers/${encodeURIComponent(provider.name)}`, onclick: (e) => { e.preventDefault(); providerFormView(provider.name); } }, 'Load the current version')));
      top.scrollIntoView({ block: 'nearest' });
      top.querySelector('a').focus();
      return;
    }
    if (!result.ok) {
      showError(form, top, result.message, result.param === 'name' ? 'provider' : result.param);
      return;
    }
    announce(creating ? `Provider ${result.json.name} created` : `Provider ${result.json.name} saved`);
    location.hash = '#/providers';
  });

  show(ticket, el('div', { class: 'toolbar' },
    el('h1', { id: 'provider-title' }, creating ? 'Add provider' : `Provider ${provider.name}`)), form);
}

// ---- fleet -----------------------------------------------------------------------------------

function isolatedText(item) {
  if (typeof item === 'string') return item;
  const name = item.provider ?? item.name ?? '';
  const reason = item.reason ?? item.error ?? '';
  return reason ? `${name}: ${reason}` : name;
}

async function fleetView() {
  const ticket = begin();
  const result = await api('GET', '/api/fleet');
  if (!result.ok) return show(ticket, el('h1', {}, 'Fleet'), banner('error', result.message));
  const fleet = result.json;
  const planes = fleet.data_planes ?? [];
  show(ticket, 
    el('div', { class: 'toolbar' }, el('h1', {}, 'Fleet'),
      el('button', { type: 'button', onclick: fleetView }, 'Refresh')),
    el('p', {}, `Control plane at revision ${fleet.revision}, table hash `,
      el('span', { class: 'mono', title: fleet.table_hash }, shortHash(fleet.table_hash)), '.'),
    table([
      { label: 'Data plane', cell: (p) => p.node_id },
      { label: 'Replica', cell: (p) => p.replica },
      { label: 'Revision', cell: (p) => String(p.revision) },
      { label: 'Table hash', mono: true, cell: (p) => el('span', { title: p.table_hash }, shortHash(p.table_hash)) },
      { label: 'State', cell: (p) => el('span', { class: `badge ${p.state}` }, p.state) },
      { label: 'Isolated providers', cell: (p) => (p.isolated_providers ?? []).length === 0 ? 'none'
        : el('ul', {}, p.isolated_providers.map((i) => el('li', {}, isolatedText(i)))) },
      { label: 'Last seen', cell: (p) => p.last_seen },
      { label: 'Last error', cell: (p) => p.last_error || '' },
    ], planes, 'No data plane has connected yet.'));
}

// ---- request logs ----------------------------------------------------------------------------

const logFilters = { providers: '', models: '', status: '', request_types: '', virtual_key_ids: '' };

async function logsView() {
  const ticket = begin();
  const query = new URLSearchParams({ limit: '50' });
  for (const [name, value] of Object.entries(logFilters)) if (value) query.set(name, value);
  const result = await api('GET', `/api/logs?${query}`);
  const inputs = {};
  const filter = (name, label, options) => {
    const id = nextId('filter');
    inputs[name] = options
      ? el('select', { id }, options.map((o) => el('option', { value: o, selected: o === logFilters[name] }, o || 'any')))
      : el('input', { type: 'search', id, value: logFilters[name] });
    return el('div', { class: 'field' }, el('label', { for: id }, label), inputs[name]);
  };
  const form = el('form', { class: 'panel', role: 'search', 'aria-label': 'Filter request logs' },
    el('div', { class: 'grid' },
      filter('providers', 'Provider'), filter('models', 'Model'),
      filter('status', 'Status', ['', 'success', 'error']),
      filter('request_types', 'Request type', ['', ...REQUEST_TYPES]),
      filter('virtual_key_ids', 'Virtual key id')),
    el('button', { type: 'submit', class: 'primary' }, 'Apply filters'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const name of Object.keys(logFilters)) logFilters[name] = inputs[name].value.trim();
    logsView();
  });
  if (!result.ok) return show(ticket, el('h1', {}, 'Request logs'), form, banner('error', result.message));
  const logs = result.json.logs ?? [];
  const stats = result.json.stats ?? {};
  show(ticket, el('div', { class: 'toolbar' }, el('h1', {}, 'Request logs')), form,
    el('p', {}, `${result.json.pagination?.total_count ?? logs.length} requests · success rate ${Math.round((stats.success_rate ?? 0) * 10) / 10}% · average latency ${Math.round(stats.average_latency ?? 0)} ms · ${stats.total_tokens ?? 0} tokens`),
    table([
      { label: 'Time', cell: (l) => el('a', { href: `#/logs/${encodeURIComponent(l.id)}` }, l.timestamp) },
      { label: 'Provider', cell: (l) => l.provider },
      { label: 'Model', cell: (l) => l.model },
      { label: 'Request type', cell: (l) => l.request_type ?? l.object },
      { label: 'Status', cell: (l) => el('span', { class: `badge ${l.status}` }, l.status) },
      { label: 'Latency (ms)', cell: (l) => String(l.latency ?? '') },
      { label: 'Tokens', cell: (l) => String(l.token_usage?.total_tokens ?? '') },
    ], logs, 'No request matches these filters.'));
}

async function logDetailView(id) {
  const ticket = begin();
  const result = await api('GET', `/api/logs/${encodeURIComponent(id)}`);
  if (!result.ok) return show(ticket, el('h1', {}, 'Request log'), banner('error', result.message));
  const log = result.json;
  const simple = Object.entries(log).filter(([, v]) => v === null || typeof v !== 'object');
  const nested = Object.entries(log).filter(([, v]) => v !== null && typeof v === 'object');
  show(ticket, el('div', { class: 'toolbar' }, el('h1', {}, `Request ${log.id}`), el('a', { class: 'button', href: '#/logs' }, 'Back to logs')),
    el('div', { class: 'panel' }, el('dl', { class: 'detail' }, simple.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v === null ? '' : String(v))]))),
    nested.map(([k, v]) => el('div', { class: 'panel' }, el('h2', {}, k), el('pre', {}, JSON.stringify(v, null, 2)))));
}

// ---- virtual keys, credentials, model routes: lists and a JSON editor ----------------------------

const OBJECT_KINDS = {
  'virtual-keys': {
    title: 'Virtual keys', one: 'virtual key', path: '/api/governance/virtual-keys', list: 'virtual_keys',
    columns: [
      ['Active', (o) => el('span', { class: `badge ${o.is_active === false ? 'inactive' : 'active'}` }, o.is_active === false ? 'inactive' : 'active')],
      ['Rate limit', (o) => limitText(o.rate_limit)],
      ['Budget', (o) => (o.budget ? `${o.budget.max_limit} per ${o.budget.reset_duration}` : 'none')],
      ['Providers', (o) => (o.provider_configs ?? []).map((p) => p.provider).join(', ') || 'all'],
    ],
    template: { name: '', description: '', provider_configs: [], rate_limit: { request_max_limit: 100, request_reset_duration: '1m' }, budget: { max_limit: 10, reset_duration: '1M' }, is_active: true },
  },
  credentials: {
    title: 'Credentials', one: 'credential', path: '/api/credentials', list: 'credentials',
    columns: [['Auth type', (o) => o.auth_type ?? ''], ['Provider type', (o) => o.model_provider ?? o.provider ?? '']],
    template: { name: '', auth_type: 'api_key', model_provider: 'openai', secrets: { api_key: '' } },
  },
  'model-routes': {
    title: 'Model routes', one: 'model route', path: '/api/model-routes', list: 'model_routes',
    columns: [['Alias', (o) => o.alias ?? o.name ?? ''], ['Target', (o) => o.target ?? o.model ?? JSON.stringify(o.targets ?? '')]],
    template: { name: '', provider: 'openai', model: '' },
  },
};

function limitText(limit) {
  if (!limit) return 'none';
  const parts = [];
  if (limit.request_max_limit) parts.push(`${limit.request_max_limit} requests / ${limit.request_reset_duration}`);
  if (limit.token_max_limit) parts.push(`${limit.token_max_limit} tokens / ${limit.token_reset_duration}`);
  return parts.join(', ') || 'none';
}

async function objectsView(kindName) {
  const ticket = begin();
  const kind = OBJECT_KINDS[kindName];
  const result = await api('GET', kind.path);
  if (!result.ok) return show(ticket, el('h1', {}, kind.title), banner('error', result.message));
  const objects = result.json[kind.list] ?? [];
  show(ticket, el('div', { class: 'toolbar' }, el('h1', {}, kind.title),
    canWrite() ? el('a', { class: 'button primary', href: `#/${kindName}/new` }, `Add ${kind.one}`) : null),
  table([
    { label: 'Name', cell: (o) => el('a', { href: `#/${kindName}/${encodeURIComponent(o.id)}` }, o.name || o.id) },
    { label: 'ID', mono: true, cell: (o) => o.id },
    ...kind.columns.map(([label, cell]) => ({ label, cell })),
    { label: 'Config hash', mono: true, cell: (o) => el('span', { title: o.config_hash }, shortHash(o.config_hash)) },
  ], objects, `No ${kind.one} yet.`));
}

const READ_ONLY_FIELDS = ['id', 'config_hash', 'created_at', 'updated_at', 'usage', 'value', 'revision'];

async function objectView(kindName, id) {
  const ticket = begin();
  const kind = OBJECT_KINDS[kindName];
  const creating = id === undefined;
  let object = structuredClone(kind.template);
  let etag = null;
  if (!creating) {
    const result = await api('GET', `${kind.path}/${encodeURIComponent(id)}`);
    if (!result.ok) return show(ticket, el('h1', {}, kind.title), banner('error', result.message));
    object = result.json;
    etag = result.etag;
  }
  const editable = Object.fromEntries(Object.entries(object).filter(([k]) => !READ_ONLY_FIELDS.includes(k)));
  const top = el('div');
  const editorId = nextId('json');
  const editor = el('textarea', { id: editorId, rows: 18, disabled: !canWrite() }, JSON.stringify(editable, null, 2));
  const form = el('form', { novalidate: true }, top,
    el('div', { class: 'field', 'data-path': '' }, el('label', { for: editorId }, `The ${kind.one} (JSON, as the API takes it)`), editor),
    canWrite() ? el('div', { class: 'toolbar' },
      el('button', { type: 'submit', class: 'primary' }, creating ? `Create ${kind.one}` : 'Save changes'),
      el('a', { class: 'button', href: `#/${kindName}` }, 'Cancel'),
      creating ? null : el('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!await confirmDialog(`Delete ${kind.one} "${object.name || id}"?`, 'Delete')) return;
        const deleted = await api('DELETE', `${kind.path}/${encodeURIComponent(id)}`);
        if (!deleted.ok) { top.replaceChildren(banner('error', deleted.message)); return; }
        announce(`Deleted ${kind.one} ${object.name || id}`);
        location.hash = `#/${kindName}`;
      } }, 'Delete')) : el('p', { class: 'hint' }, 'Signed in as a viewer: read only.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try { body = JSON.parse(editor.value); } catch (error) {
      showError(form, top, `Not valid JSON: ${error.message}`, null);
      return;
    }
    const result = await api(creating ? 'POST' : 'PUT', creating ? kind.path : `${kind.path}/${encodeURIComponent(id)}`,
      body, creating || !etag ? {} : { 'If-Match': etag });
    if (result.status === 412) {
      top.replaceChildren(banner('conflict', el('strong', {}, 'Conflict: '),
        `this ${kind.one} was changed by someone else after you opened it. Your edits were not saved; reload to see the current version.`));
      return;
    }
    if (!result.ok) { showError(form, top, result.param ? `${result.param}: ${result.message}` : result.message, null); return; }
    if (creating && result.json.value) {
      // A virtual key's value is answered once, here.
      show(ticket, el('h1', {}, `${kind.one} created`), banner('ok', 'Copy this key now: it is not shown again. ',
        el('code', { class: 'mono' }, result.json.value)), el('a', { class: 'button', href: `#/${kindName}` }, `Back to ${kind.title.toLowerCase()}`));
      return;
    }
    announce(creating ? `Created ${kind.one}` : `Saved ${kind.one}`);
    location.hash = `#/${kindName}`;
  });
  const usage = object.usage ? el('div', { class: 'panel' }, el('h2', {}, 'Usage'), el('pre', {}, JSON.stringify(object.usage, null, 2))) : null;
  show(ticket, el('div', { class: 'toolbar' }, el('h1', {}, creating ? `Add ${kind.one}` : `${kind.title}: ${object.name || id}`)),
    creating ? null : el('p', {}, 'ID ', el('span', { class: 'mono' }, object.id), ' · config hash ', el('span', { class: 'mono' }, shortHash(object.config_hash))),
    usage, form);
}

// ---- routing ---------------------------------------------------------------------------------

let routed = null;  // the hash last drawn

function route() {
  if (!session) return;
  routed = location.hash;
  const hash = location.hash || '#/providers';
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#/${parts[0]}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const [section, item] = parts;
  if (section === 'providers' && item === 'new') providerFormView();
  else if (section === 'providers' && item) providerFormView(item);
  else if (section === 'fleet') fleetView();
  else if (section === 'logs' && item) logDetailView(item);
  else if (section === 'logs') logsView();
  else if (OBJECT_KINDS[section] && item === 'new') objectView(section);
  else if (OBJECT_KINDS[section] && item) objectView(section, item);
  else if (OBJECT_KINDS[section]) objectsView(section);
  else providersView();
  main().focus({ preventScroll: true });
}

// (Two quick hash changes queue two events that both read the latest hash: draw it once.)
window.addEventListener('hashchange', () => { if (location.hash !== routed) route(); });
document.getElementById('sign-out').addEventListener('click', () => signOut(''));

// A control plane without admin auth (development mode) needs no sign-in.
(async () => {
  const who = await api('GET', '/api/session');
  if (who.ok && who.json.auth === 'open') startSession(who.json);
  else signInView('');
})();
