#!/usr/bin/env node
// Prints the gzipped JavaScript a first visit downloads: the entry chunk with its static imports,
// plus the lazily loaded chunks of the landing route (the dashboard). Fails above the budget.
// usage: node web/bundle-size.mjs [distDir=dist/web] [budgetKiB=250]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? 'dist/web';
const budget = Number(process.argv[3] ?? 250) * 1024;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
function closure(keys, seen = new Set()) {
  for (const k of keys) {
    const chunk = manifest[k];
    if (!chunk || seen.has(chunk.file)) continue;
    seen.add(chunk.file);
    closure(chunk.imports ?? [], seen);
  }
  return seen;
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const entry = closure([entryKey]);
const landingKey = Object.keys(manifest).find((k) => k.endsWith('pages/dashboard.tsx'));
const landing = closure([landingKey], new Set(entry));
const sum = (files) => [...files].filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

const entryJs = sum(entry);
const firstLoad = sum(landing);
console.log(`entry JS (gzip):                 ${kib(entryJs)}  [${[...entry].join(', ')}]`);
console.log(`first load incl. dashboard route: ${kib(firstLoad)}`);
console.log(`budget:                           ${kib(budget)}`);
if (firstLoad > budget) {
  console.error('over budget');
  process.exit(1);
}
