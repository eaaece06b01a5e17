// Reads catalog folders from disk: `<dir>/<id>/manifest.yml` (or `<id>@<version>/` to keep several versions)
// with its compose template or install scripts, and `<dir>/stacks/<id>.yml`. Every file is parsed with the
// one manifest schema; a file that does not validate is refused with the path of the bad field.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { checkComposeTemplate } from '../../core/catalog/compose-template.js';
import {
  type CatalogManifest,
  manifestSchema,
  type StackManifest,
  stackSchema,
} from '../../core/catalog/manifest-schema.js';
import { parseYaml } from '../../core/catalog/yaml.js';

export type CatalogSource = 'builtin' | 'user';

export interface CatalogEntry {
  readonly manifest: CatalogManifest;
  readonly dir: string;
  readonly source: CatalogSource;
  /** Compose entries: the template text. */
  readonly template?: string;
  /** Host entries: the scripts, by file name. */
  readonly scripts?: Readonly<Record<string, string>>;
}

export interface CatalogStack {
  readonly stack: StackManifest;
  readonly file: string;
  readonly source: CatalogSource;
}

export interface CatalogProblem {
  /** File (and field, after a colon) the problem is in. */
  readonly where: string;
  readonly message: string;
}

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly stacks: readonly CatalogStack[];
  /** Files that were refused (an entry or stack that does not validate is left out, never half-loaded). */
  readonly problems: readonly CatalogProblem[];
}

const MAX_MANIFEST = 64 * 1024;
const MAX_FILE = 256 * 1024;
export const STACKS_DIR = 'stacks';

/** The catalog shipped with infrakt: `catalog/` at the package root (found from this file, bundled or not). */
export function builtinCatalogDir(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(join(d, 'catalog')) && existsSync(pkg) && /"name":\s*"infrakt"/.test(readFileSync(pkg, 'utf8')))
      return join(d, 'catalog');
    if (dirname(d) === d) throw new Error('the built-in catalog folder was not found next to infrakt');
  }
}

function readText(file: string, max: number): string {
  const size = statSync(file).size;
  if (size > max) throw new Error(`${file} is larger than ${max / 1024} KiB`);
  return readFileSync(file, 'utf8');
}

/** Zod issues as `path: message` problems (the path of the bad field, e.g. `inputs.2.type`). */
export function zodProblems(where: string, error: z.ZodError): CatalogProblem[] {
  return error.issues.map((i) => ({
    where: i.path.length ? `${where}: ${i.path.map(String).join('.')}` : where,
    message: i.message,
  }));
}

function loadEntry(dir: string, folder: string, source: CatalogSource): CatalogEntry | CatalogProblem[] {
  const path = join(dir, folder);
  const file = ['manifest.yml', 'manifest.yaml'].map((f) => join(path, f)).find((f) => existsSync(f));
  if (!file) return [{ where: path, message: 'no manifest.yml' }];
  let data: unknown;
  try {
    data = parseYaml(readText(file, MAX_MANIFEST));
  } catch (e) {
    return [{ where: file, message: `does not parse: ${(e as Error).message}` }];
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) return zodProblems(file, parsed.error);
  const m = parsed.data;
  if (folder !== m.id && folder !== `${m.id}@${m.version}`)
    return [{ where: `${file}: id`, message: `the folder must be named '${m.id}' or '${m.id}@${m.version}'` }];
  if (m.kind === 'compose') {
    const tfile = join(path, m.template ?? 'docker-compose.yml');
    if (!existsSync(tfile)) return [{ where: `${file}: template`, message: `missing ${tfile}` }];
    const template = readText(tfile, MAX_FILE);
    const issues = checkComposeTemplate(m, template);
    if (issues.length) return issues.map((i) => ({ where: `${tfile}: ${i.path}`, message: i.message }));
    return { manifest: m, dir: path, source, template };
  }
  const scripts: Record<string, string> = {};
  for (const [field, name, required] of [
    ['install_script', m.install_script ?? 'install.sh', true],
    ['check_script', m.check_script ?? 'check.sh', Boolean(m.check_script)],
    ['uninstall_script', m.uninstall_script ?? 'uninstall.sh', Boolean(m.uninstall_script)],
  ] as const) {
    const f = join(path, name);
    if (!existsSync(f)) {
      if (required) return [{ where: `${file}: ${field}`, message: `missing ${f}` }];
      continue;
    }
    scripts[name] = readText(f, MAX_FILE);
  }
  return { manifest: m, dir: path, source, scripts };
}

function loadStack(file: string, source: CatalogSource): CatalogStack | CatalogProblem[] {
  let data: unknown;
  try {
    data = parseYaml(readText(file, MAX_MANIFEST));
  } catch (e) {
    return [{ where: file, message: `does not parse: ${(e as Error).message}` }];
  }
  const parsed = stackSchema.safeParse(data);
  if (!parsed.success) return zodProblems(file, parsed.error);
  const base = file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  if (base !== parsed.data.id)
    return [{ where: `${file}: id`, message: `the file must be named ${parsed.data.id}.yml` }];
  return { stack: parsed.data, file, source };
}

/**
 * Loads the given catalog folders in order. A later folder's entry with the same id and version replaces an
 * earlier one (a user's own copy wins over the built-in one); other versions stay side by side.
 */
export function loadCatalog(dirs: readonly { path: string; source: CatalogSource }[]): Catalog {
  const entries = new Map<string, CatalogEntry>();
  const stacks = new Map<string, CatalogStack>();
  const problems: CatalogProblem[] = [];
  for (const { path, source } of dirs) {
    const dir = resolve(path);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      problems.push({ where: dir, message: 'is not a directory' });
      continue;
    }
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (!statSync(full).isDirectory() || name.startsWith('.')) continue;
      if (name === STACKS_DIR) {
        for (const f of readdirSync(full).sort()) {
          if (!/\.ya?ml$/.test(f)) continue;
          const r = loadStack(join(full, f), source);
          if (Array.isArray(r)) problems.push(...r);
          else stacks.set(r.stack.id, r);
        }
        continue;
      }
      const r = loadEntry(dir, name, source);
      if (Array.isArray(r)) problems.push(...r);
      else entries.set(`${r.manifest.id}@${r.manifest.version}`, r);
    }
  }
  return { entries: [...entries.values()], stacks: [...stacks.values()], problems };
}
