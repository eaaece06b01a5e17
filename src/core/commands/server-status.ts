import { type Cmd, exec, or, quietErr, raw, seq } from '../cmd/index.js';
import type { ContainerInfo, DiskUsage, ServerStatusReport } from '../schemas/views/servers.js';

const section = (name: string): Cmd => exec('echo', `@@${name}`);

const DOCKER_PS = "docker ps -a --no-trunc --format '{{json .}}' 2>/dev/null";

/**
 * One command printing `@@section` blocks; a missing tool only empties its own section. Docker
 * goes through `sudo -n` when the plain call is refused (a non-root user outside the docker group).
 */
export function statusCommand(root: string): Cmd {
  return seq(
    section('hostname'),
    quietErr(exec('hostname')),
    section('kernel'),
    quietErr(exec('uname', '-srm')),
    section('cpus'),
    quietErr(exec('nproc')),
    section('uptime'),
    quietErr(exec('cat', '/proc/uptime')),
    section('loadavg'),
    quietErr(exec('cat', '/proc/loadavg')),
    section('meminfo'),
    quietErr(exec('cat', '/proc/meminfo')),
    section('df'),
    quietErr(or(exec('df', '-Pk', '/', root), exec('df', '-Pk', '/'))),
    section('docker'),
    // raw: constant text (no user data); if/else keeps "missing" apart from "failed".
    raw(
      `if command -v docker >/dev/null 2>&1; then ${DOCKER_PS} || sudo -n ${DOCKER_PS} || echo @@docker-failed; else echo @@docker-missing; fi`,
    ),
  );
}

function sections(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current = '';
  for (const line of out.split('\n')) {
    const m = /^@@([a-z]+)$/.exec(line.trim());
    if (m?.[1]) {
      current = m[1];
      map.set(current, []);
    } else if (current) map.get(current)?.push(line);
  }
  return map;
}

const num = (s: string | undefined): number | null => {
  const n = Number(s);
  return s !== undefined && s.trim() !== '' && Number.isFinite(n) ? n : null;
};

function parseMeminfo(lines: string[]): ServerStatusReport['memory'] {
  const kb = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\w+):\s+(\d+)/.exec(l);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]) * 1024);
  }
  const total = kb.get('MemTotal');
  if (total === undefined) return null;
  const available = kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Cached') ?? 0);
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: total - available,
    swapTotalBytes: kb.get('SwapTotal') ?? 0,
    swapFreeBytes: kb.get('SwapFree') ?? 0,
  };
}

function parseDf(lines: string[]): DiskUsage[] {
  const seen = new Set<string>();
  const disks: DiskUsage[] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 6 || !/^\d+$/.test(f[1] ?? '')) continue;
    const mount = f.slice(5).join(' ');
    if (seen.has(mount)) continue;
    seen.add(mount);
    disks.push({
      filesystem: f[0] ?? '',
      sizeBytes: Number(f[1]) * 1024,
      usedBytes: Number(f[2]) * 1024,
      availableBytes: Number(f[3]) * 1024,
      usePercent: Number((f[4] ?? '').replace('%', '')) || 0,
      mount,
    });
  }
  return disks;
}

function parseContainers(lines: string[], notes: string[]): ContainerInfo[] | null {
  const body = lines.filter((l) => l.trim() !== '');
  if (body.includes('@@docker-missing')) {
    notes.push('docker is not installed on this server');
    return null;
  }
  if (body.some((l) => l.includes('@@docker-failed'))) {
    notes.push('docker is installed but `docker ps` failed (daemon down, or no permission)');
    return null;
  }
  const out: ContainerInfo[] = [];
  for (const l of body) {
    try {
      const j = JSON.parse(l) as Record<string, string>;
      out.push({
        id: (j.ID ?? '').slice(0, 12),
        name: j.Names ?? '',
        image: j.Image ?? '',
        state: j.State ?? '',
        status: j.Status ?? '',
        ports: j.Ports ?? '',
      });
    } catch {
      // not a container line (warnings): ignore
    }
  }
  return out;
}

export function parseServerStatus(name: string, target: string, out: string): ServerStatusReport {
  const s = sections(out);
  const first = (k: string) =>
    s
      .get(k)
      ?.find((l) => l.trim() !== '')
      ?.trim() ?? null;
  const notes: string[] = [];
  const load = first('loadavg')?.split(/\s+/) ?? [];
  const m1 = num(load[0]);
  const m5 = num(load[1]);
  const m15 = num(load[2]);
  const uptime = num(first('uptime')?.split(/\s+/)[0]);
  return {
    name,
    target,
    hostname: first('hostname'),
    kernel: first('kernel'),
    cpus: num(first('cpus') ?? undefined),
    uptimeSeconds: uptime === null ? null : Math.floor(uptime),
    load: m1 !== null && m5 !== null && m15 !== null ? { m1, m5, m15 } : null,
    memory: parseMeminfo(s.get('meminfo') ?? []),
    disks: parseDf(s.get('df') ?? []),
    containers: parseContainers(s.get('docker') ?? [], notes),
    notes,
  };
}
