/** Where an app lives on its server, and how its compose projects are named. Pure. */
export interface AppLayout {
  readonly dir: string;
  /** The app's variables for compose (`env_file` / `--env-file`), mode 0600, written by `put`. */
  readonly envFile: string;
  readonly releasesDir: string;
  /** Git checkout of the deployed branch. */
  readonly srcDir: string;
  readonly backupsDir: string;
  releaseDir(release: number): string;
  releaseFile(release: number): string;
  /** For compose apps: the services that are updated in place (everything but the routed one). */
  readonly servicesFile: string;
  /**
   * `<release> <service>` of the release serving now, written when a deploy records it: scheduled tasks read it
   * at each run, so a redeploy or rollback moves them to the new release without touching their timers.
   */
  readonly currentFile: string;
  /** A scheduled task's runner script, its lock and its last result. */
  taskDir(task: string): string;
  /** Bind mounts (`--volume ./dir:/path`) live here: `./uploads` is `<dir>/mounts/uploads`. */
  readonly mountsDir: string;
  /** SSH git sources: the pinned git host keys and the deploy key's public half (no secret). */
  readonly gitSshDir: string;
  /** https git sources with a token: the credential cache's socket lives here (0700) during a fetch. */
  readonly gitCredentialDir: string;
}

export function appLayout(root: string, app: string): AppLayout {
  const dir = `${root}/apps/${app}`;
  return {
    dir,
    envFile: `${dir}/.env`,
    releasesDir: `${dir}/releases`,
    srcDir: `${dir}/src`,
    backupsDir: `${root}/backups`,
    releaseDir: (n) => `${dir}/releases/${n}`,
    releaseFile: (n) => `${dir}/releases/${n}/docker-compose.yml`,
    servicesFile: `${dir}/services.yml`,
    currentFile: `${dir}/current`,
    taskDir: (task) => `${dir}/tasks/${task}`,
    mountsDir: `${dir}/mounts`,
    gitSshDir: `${dir}/.git-ssh`,
    gitCredentialDir: `${dir}/.git-credential`,
  };
}

/** Each release is its own compose project so that it can start beside the one serving. */
export const releaseProject = (app: string, release: number): string => `${app}-r${release}`;
/** Whether a compose project is one of `app`'s releases (`<app>-r<N>`, as `releaseProject` names them). */
export const isReleaseProject = (app: string, project: string): boolean =>
  project.startsWith(`${app}-r`) && /^\d+$/.test(project.slice(app.length + 2));
/** The in-place part of a compose app (databases, workers …): one stable project. */
export const servicesProject = (app: string): string => `${app}-svc`;
/** Network shared by the stable services and every release of a compose app. */
export const sharedNetwork = (app: string): string => `${app}-svc-net`;
/** Tag of an image built from a git source for one release (kept for rollback). */
export const builtImage = (app: string, release: number): string => `infrakt-app/${app}:r${release}`;

/** Docker name of an app's named volume (`--volume NAME:/path`): kept across releases, shared by all of them. */
export const appVolume = (app: string, name: string): string => `${app}_${name}`;

/** Releases kept on the server (files and built images) for rollback. */
export const KEEP_RELEASES = 3;

/** The releases to delete, given every release number present and the ones that must stay (current). */
export function releasesToPrune(present: readonly number[], keep: readonly number[], count = KEEP_RELEASES): number[] {
  const sorted = [...new Set(present)].sort((a, b) => b - a);
  const kept = new Set([...sorted.slice(0, count), ...keep]);
  return sorted.filter((n) => !kept.has(n)).sort((a, b) => a - b);
}

/** The content of `currentFile`. */
export const currentMarker = (release: number, service: string): string => `${release} ${service}\n`;
