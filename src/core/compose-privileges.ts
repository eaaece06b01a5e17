/**
 * What in a compose file hands its author root on the server: Docker runs containers as root on the host, so
 * `privileged`, extra capabilities, the host's PID/network/IPC/UTS/user namespaces, devices, weakened security
 * profiles, the Docker socket or a bind mount of a host path all turn "may deploy this app" into "owns the machine".
 * Non-admins are refused these (services/apps/privileges.ts) unless an admin allowed that class of option for the
 * app; this module only finds them, naming each field and its class.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The classes an admin may allow one by one for an app (`app update --allow-privileged`): each is its own way to
 * the host, so allowing the Docker socket does not allow `privileged`, nor a bind mount of `/`.
 */
export const PRIVILEGE_CLASSES = [
  'privileged',
  'cap_add',
  'host_namespaces',
  'devices',
  'security_opt',
  'docker_socket',
  'host_mounts',
] as const;
export type PrivilegeClass = (typeof PRIVILEGE_CLASSES)[number];

/** One field that needs an admin (or an allowance of its class): `services.web.privileged` and its class. */
export interface PrivilegedField {
  field: string;
  class: PrivilegeClass;
}

const HOST_MODES = ['pid', 'network_mode', 'ipc', 'uts', 'userns_mode', 'cgroup'] as const;
const FIELD_CLASS: readonly [string, PrivilegeClass][] = [
  ['privileged', 'privileged'],
  ['cap_add', 'cap_add'],
  ['devices', 'devices'],
  ['device_cgroup_rules', 'devices'],
  ['security_opt', 'security_opt'],
  // Another cgroup parent moves the container out of Docker's own hierarchy, like a host cgroup namespace.
  ['cgroup_parent', 'host_namespaces'],
];

/** The Docker socket, wherever the host keeps it (`/var/run/docker.sock`, `/run/docker.sock`, a rootless path). */
const isDockerSocket = (source: string) => /(^|\/)docker\.sock\/*$/.test(source);

/** A bind mount source that stays in the app's directory: relative, without climbing out. */
function insideAppDir(source: string): boolean {
  if (source.startsWith('/') || source.startsWith('~') || source.startsWith('$')) return false;
  const parts = source.split('/').filter((p) => p !== '' && p !== '.');
  let depth = 0;
  for (const p of parts) {
    depth += p === '..' ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

/** Short syntax `src:dst[:mode]`: a bind when src looks like a path (has a slash, or starts with . or ~). */
function bindSourceOf(volume: unknown): string | undefined {
  if (typeof volume === 'string') {
    const src = volume.split(':')[0] ?? '';
    return volume.includes(':') && (src.includes('/') || src.startsWith('.') || src.startsWith('~')) ? src : undefined;
  }
  if (isObj(volume) && volume.type === 'bind' && typeof volume.source === 'string') return volume.source;
  return undefined;
}

const truthy = (v: unknown) => v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0);

/** The fields of a parsed compose file that need an admin, as `services.web.privileged`-style paths. */
export function privilegedComposeFields(doc: Obj): string[] {
  return privilegedComposeFindings(doc).map((f) => f.field);
}

/** Each field of a parsed compose file that needs an admin, with the class an admin may allow it under. */
export function privilegedComposeFindings(doc: Obj): PrivilegedField[] {
  const found: PrivilegedField[] = [];
  const services = isObj(doc.services) ? doc.services : {};
  for (const [name, svc] of Object.entries(services)) {
    if (!isObj(svc)) continue;
    const at = (k: string) => `services.${name}.${k}`;
    for (const [k, cls] of FIELD_CLASS) if (truthy(svc[k])) found.push({ field: at(k), class: cls });
    for (const k of HOST_MODES) {
      const v = svc[k];
      // `service:x` / `container:x` joins another container's namespace: also outside the app's own sandbox.
      if (typeof v === 'string' && (v === 'host' || v.startsWith('container:')))
        found.push({ field: at(k), class: 'host_namespaces' });
    }
    const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
    volumes.forEach((v, i) => {
      const src = bindSourceOf(v);
      if (src !== undefined && !insideAppDir(src))
        found.push({
          field: `${at('volumes')}[${i}] (${src})`,
          class: isDockerSocket(src) ? 'docker_socket' : 'host_mounts',
        });
    });
  }
  // A named volume can be a bind mount in disguise (driver_opts: { type: none, o: bind, device: / }).
  const volumes = isObj(doc.volumes) ? doc.volumes : {};
  for (const [name, vol] of Object.entries(volumes)) {
    if (isObj(vol) && (truthy(vol.driver_opts) || (vol.driver !== undefined && vol.driver !== 'local'))) {
      found.push({
        field: `volumes.${name}.${truthy(vol.driver_opts) ? 'driver_opts' : 'driver'}`,
        class: 'host_mounts',
      });
    }
  }
  return found;
}
