/**
 * A self-contained API reference at /docs: no CDN, no extra package. The page asks for the API key
 * (shared with the dashboard's localStorage entry), fetches /api/openapi.json with it, lists every
 * operation and can send requests ("try it") with the X-API-Key header, streams included.
 */

import { API_KEY_HEADER } from './auth.js';

export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>infrakt API</title>
<link rel="stylesheet" href="/docs/docs.css">
<script type="module" src="/docs/docs.js"></script>
</head>
<body>
<header>
  <h1>infrakt API</h1>
  <form id="auth">
    <label for="key">${API_KEY_HEADER}</label>
    <input id="key" type="password" autocomplete="off" placeholder="paste the key (infrakt api-key show)">
    <button type="submit">Load</button>
  </form>
  <p class="note">The key is kept in this browser's localStorage (same entry as the dashboard) and sent only in the
  ${API_KEY_HEADER} header. Streams (text/event-stream) are read with fetch, which can send the header.</p>
</header>
<main id="out"><p id="status">Enter the API key to load the OpenAPI document.</p></main>
</body>
</html>
`;

export const DOCS_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header{padding:16px 24px;background:#111;color:#eee}
header h1{margin:0 0 8px;font-size:20px}
header input{width:360px;padding:4px 6px;font:inherit}
header .note{color:#aaa;font-size:12px;margin:8px 0 0}
main{padding:16px 24px;max-width:1100px}
h2{margin:24px 0 8px;font-size:16px;text-transform:uppercase;letter-spacing:.05em;color:#555}
details{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 10px;font-family:ui-monospace,monospace}
.m{display:inline-block;width:64px;font-weight:bold}
.m.get{color:#0a6}.m.post{color:#06c}.m.put{color:#a60}.m.delete{color:#c22}
.s{color:#666;font-family:system-ui,sans-serif;margin-left:8px}
.body{padding:8px 12px;border-top:1px solid #eee}
pre{background:#f3f3f3;padding:8px;overflow:auto;max-height:360px;white-space:pre-wrap}
label.p{display:block;margin:4px 0}
label.p input{margin-left:6px;font:inherit;padding:2px 4px}
textarea{width:100%;min-height:90px;font:12px ui-monospace,monospace}
button{font:inherit;padding:3px 10px;margin:6px 6px 0 0}
.err{color:#c22}
`;

export const DOCS_JS = `
const KEY = 'infrakt.apiKey';
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
let spec = null;

function resolveRef(s) {
  if (s && s.$ref) return spec.components.schemas[s.$ref.split('/').pop()] || s;
  return s;
}
function example(s, depth) {
  s = resolveRef(s || {});
  if (depth > 5) return null;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (t === 'object') {
    const o = {};
    for (const [k, v] of Object.entries(s.properties || {})) if ((s.required || []).includes(k)) o[k] = example(v, depth + 1);
    return o;
  }
  if (t === 'array') return [];
  if (t === 'integer' || t === 'number') return 0;
  if (t === 'boolean') return false;
  return '';
}

async function send(method, path, op, form, out) {
  out.textContent = '…';
  let url = path;
  const query = new URLSearchParams();
  for (const p of op.parameters || []) {
    const input = form.querySelector('[data-p="' + p.in + ':' + p.name + '"]');
    const v = input ? input.value : '';
    if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v));
    if (p.in === 'query' && v !== '') query.set(p.name, v);
  }
  if ([...query].length) url += '?' + query;
  const headers = { '${API_KEY_HEADER}': localStorage.getItem(KEY) || '' };
  const ta = form.querySelector('textarea');
  let body;
  if (ta) { headers['Content-Type'] = 'application/json'; body = ta.value; }
  const ctrl = new AbortController();
  form.querySelector('.stop').onclick = () => ctrl.abort();
  try {
    const res = await fetch(url, { method: method.toUpperCase(), headers, body, signal: ctrl.signal });
    const head = res.status + ' ' + res.statusText + (res.headers.get('location') ? '  Location: ' + res.headers.get('location') : '') + '\\n\\n';
    if ((res.headers.get('content-type') || '').startsWith('text/event-stream')) {
      out.textContent = head;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (;;) { const { done, value } = await reader.read(); if (done) break; out.textContent += dec.decode(value, { stream: true }); out.scrollTop = out.scrollHeight; }
      return;
    }
    const text = await res.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    out.textContent = head + shown;
  } catch (e) { out.textContent = String(e); }
}

function operation(path, method, op) {
  const form = el('form', { onsubmit: (e) => { e.preventDefault(); send(method, path, op, form, out); } });
  for (const p of op.parameters || []) {
    form.append(el('label', { class: 'p' }, p.in + ' ' + p.name + (p.required ? ' *' : ''), el('input', { 'data-p': p.in + ':' + p.name })));
  }
  const rb = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  if (rb) {
    const ta = el('textarea');
    ta.value = JSON.stringify(example(rb.schema, 0), null, 2);
    form.append(el('div', {}, 'JSON body'), ta);
  }
  form.append(el('button', { type: 'submit' }, 'Send'), el('button', { type: 'button', class: 'stop' }, 'Stop'));
  const out = el('pre', {}, '');
  const schemas = el('pre', {}, JSON.stringify(Object.fromEntries(Object.entries(op.responses || {}).map(([k, v]) => [k, v.description])), null, 2));
  return el('details', {},
    el('summary', {}, el('span', { class: 'm ' + method }, method.toUpperCase()), path, el('span', { class: 's' }, op.summary || '')),
    el('div', { class: 'body' }, op.description ? el('p', {}, op.description) : '', el('div', {}, 'Responses'), schemas, form, out));
}

async function load() {
  const out = $('out');
  const key = localStorage.getItem(KEY);
  if (!key) return;
  const res = await fetch('/api/openapi.json', { headers: { '${API_KEY_HEADER}': key } });
  if (!res.ok) { out.replaceChildren(el('p', { class: 'err' }, 'Could not load the API document: HTTP ' + res.status + ' (check the key)')); return; }
  spec = await res.json();
  const byTag = new Map();
  for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags && op.tags[0]) || 'other';
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push(operation(path, method, op));
  }
  const kids = [el('p', {}, spec.info.title + ' ' + spec.info.version + ' — OpenAPI ' + spec.openapi + ' — ', el('a', { href: '#', onclick: (e) => { e.preventDefault(); const b = new Blob([JSON.stringify(spec, null, 2)], { type: 'application/json' }); window.open(URL.createObjectURL(b)); } }, 'raw document'))];
  if (spec.info.description) kids.push(el('p', {}, spec.info.description));
  for (const [tag, ops] of byTag) kids.push(el('h2', {}, tag), ...ops);
  out.replaceChildren(...kids);
}

$('key').value = localStorage.getItem(KEY) || '';
$('auth').addEventListener('submit', (e) => { e.preventDefault(); localStorage.setItem(KEY, $('key').value.trim()); load(); });
load();
`;
