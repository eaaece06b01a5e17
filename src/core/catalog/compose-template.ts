// Checks of a compose entry's template. The template is stored with the app as it is: values never get pasted
// into it. Compose reads them from the app's encrypted env (`--env-file .env`, written 0600 at deploy time)
// through `${VAR}` interpolation, so a value can never change the YAML's structure.
import { parseComposeFile, routedService } from '../plans/deploy-compose.js';
import { BUILTIN_VARS, type CatalogManifest } from './manifest-schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TemplateIssue {
  readonly path: string;
  readonly message: string;
}

/** The docker-socket-proxy images an entry may hand the socket to (access: proxy). */
export const SOCKET_PROXY_IMAGES = ['tecnativa/docker-socket-proxy', 'lscr.io/linuxserver/socket-proxy'];
const SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

/** Variable names compose interpolates: `$NAME`, `${NAME}`, `${NAME:-x}`, `${NAME?err}`… (`$$` is a literal `$`). */
export function composeVars(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m[1] === '$') continue;
    out.add((m[2] ?? m[3]) as string);
  }
  return [...out];
}

/** `name:tag` or `name@sha256:…` with a tag other than `latest`. */
export function pinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon === -1) return false;
  const tag = image.slice(colon + 1);
  return tag !== '' && tag !== 'latest' && !/^(stable|edge|main|master|nightly|dev)$/.test(tag);
}

function portEntries(svc: Obj): unknown[] {
  return Array.isArray(svc.ports) ? svc.ports : [];
}

/** True when a `ports:` entry publishes on 127.0.0.1 only. */
export function loopbackOnly(p: unknown): boolean {
  if (typeof p === 'string') return p.startsWith('127.0.0.1:');
  if (isObj(p)) return p.host_ip === '127.0.0.1';
  return false;
}

function socketMounts(svc: Obj): { target: string; readOnly: boolean }[] {
  const out: { target: string; readOnly: boolean }[] = [];
  for (const v of Array.isArray(svc.volumes) ? svc.volumes : []) {
    if (typeof v === 'string') {
      const [src = '', target = '', mode = ''] = v.split(':');
      if (SOCKETS.includes(src)) out.push({ target, readOnly: mode.split(',').includes('ro') });
    } else if (isObj(v) && typeof v.source === 'string' && SOCKETS.includes(v.source)) {
      out.push({ target: String(v.target ?? ''), readOnly: v.read_only === true });
    }
  }
  return out;
}

const imageName = (image: string) => image.replace(/@sha256:.*$/, '').replace(/:[^/:]+$/, '');

/**
 * Every rule a compose template must follow, as a list of problems (empty: fine). Structure only: whether
 * the images exist and the file passes `docker compose config` is for the tests of the shipped catalog.
 */
export function checkComposeTemplate(m: CatalogManifest, text: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  let doc: Obj;
  try {
    doc = parseComposeFile(text, 'template');
  } catch (e) {
    return [{ path: 'template', message: e instanceof Error ? e.message : String(e) }];
  }
  const services = doc.services as Obj;
  const route = m.routes[0];
  if (route) {
    if (!isObj(services[route.service])) add('routes.0.service', `the template has no service '${route.service}'`);
    else {
      try {
        const routed = routedService(doc, route.port);
        if (routed !== route.service)
          add('routes.0.port', `port ${route.port} is published or exposed by '${routed}', not '${route.service}'`);
      } catch (e) {
        add('routes.0.port', e instanceof Error ? e.message : String(e));
      }
    }
  }
  let socketUsers = 0;
  for (const [name, svc] of Object.entries(services)) {
    const s = svc as Obj;
    const at = `services.${name}`;
    if (s.build !== undefined) add(`${at}.build`, 'catalog entries use published images, not builds');
    const image = typeof s.image === 'string' ? s.image : '';
    if (image.includes('$')) add(`${at}.image`, 'the image must be written out (no variables): versions are pinned');
    else if (!pinnedImage(image)) add(`${at}.image`, `image ${image} must be pinned to a version (not latest)`);
    if (s.container_name !== undefined)
      add(`${at}.container_name`, 'fixed container names break side-by-side releases and second installs');
    if (s.network_mode === 'host') add(`${at}.network_mode`, 'host networking would publish every port publicly');
    if (name !== route?.service) {
      portEntries(s).forEach((p, i) => {
        if (!loopbackOnly(p)) add(`${at}.ports.${i}`, 'must publish on 127.0.0.1 only (e.g. "127.0.0.1:8080:80")');
      });
    }
    const mounts = socketMounts(s);
    if (mounts.length > 0) {
      socketUsers++;
      const access = m.docker_socket?.access ?? 'none';
      const isProxy = SOCKET_PROXY_IMAGES.includes(imageName(image));
      if (access === 'none') add(`${at}.volumes`, 'mounts the Docker socket: declare docker_socket (proxy or direct)');
      if (access === 'proxy' && !isProxy)
        add(`${at}.volumes`, 'docker_socket is "proxy": only the socket proxy service may mount the socket');
      if (access === 'proxy' && mounts.some((x) => !x.readOnly))
        add(`${at}.volumes`, 'the socket proxy mounts the socket read-only (":ro")');
    }
  }
  if (m.docker_socket && m.docker_socket.access !== 'none' && socketUsers === 0)
    add('docker_socket', 'declares Docker socket access but no service mounts the socket');
  const declared = isObj(doc.volumes) ? Object.keys(doc.volumes) : [];
  m.volumes.forEach((v, i) => {
    if (!declared.includes(v.name)) add(`volumes.${i}.name`, `the template declares no volume '${v.name}'`);
  });
  const known = new Set<string>([...BUILTIN_VARS, ...m.inputs.map((i) => i.env)]);
  for (const v of composeVars(text))
    if (!known.has(v))
      add('template', `\${${v}} is neither an input's env name nor a built-in (${BUILTIN_VARS.join(', ')})`);
  return issues;
}
