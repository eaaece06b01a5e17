// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the runner script uses ${var} shell expansions
import { type Cmd, exec } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
import { appLayout, releaseProject, servicesProject } from './layout.js';

/*
 * A scheduled task of an app (`cron add`): a runner script in `<app dir>/tasks/<task>/run.sh`, started by a
 * systemd timer (or an /etc/cron.d entry where systemd is not PID 1) and by `cron run`. Each run reads the
 * app's `current` marker, so it uses the release serving at that moment, and starts a one-off container of it
 * with `compose run` (the release's image, env and volumes; no published ports), removed after.
 *
 * The script's protocol, written and read here only:
 * - `last.json`: one line, the result of the last run that started (status ok | failed, exitCode, times,
 *   durationMs, release, trigger, message); `last.log`: the last 100 lines of its output.
 * - exit status: the command's (124 when it ran out of time); 0 with a note when the previous run still runs.
 */

export interface TaskScriptInput {
  readonly app: string;
  readonly root: string;
  readonly task: string;
  /** The program and its arguments, as given (no shell unless the user names one). */
  readonly command: readonly string[];
  /** A service of a compose app other than the routed one (runs in the stable services project). */
  readonly service: string | null;
  readonly timeoutSeconds: number;
}

/** Unit / cron file base name: unique per root, app and task (names may contain '-', so a hash keeps them apart). */
export function taskUnit(app: string, task: string, hash: string): string {
  return `infrakt-task-${app}-${task}-${hash.slice(0, 8)}`;
}

export const taskScriptPath = (i: Pick<TaskScriptInput, 'root' | 'app' | 'task'>) =>
  `${appLayout(i.root, i.app).taskDir(i.task)}/run.sh`;

export function renderTaskScript(i: TaskScriptInput): string {
  const l = appLayout(i.root, i.app);
  const vars = {
    APP: i.app,
    APP_DIR: l.dir,
    TASK_DIR: l.taskDir(i.task),
    CURRENT: l.currentFile,
    SERVICE: i.service ?? '',
    SVC_PROJECT: servicesProject(i.app),
    SVC_FILE: l.servicesFile,
    TIMEOUT: String(i.timeoutSeconds),
    // `<app>-r`: the release project is this plus the release number read at run time (releaseProject()).
    PROJECT_PREFIX: releaseProject(i.app, 0).slice(0, -1),
  };
  return [
    '#!/bin/sh',
    `# Written by infrakt for task ${i.task} of app ${i.app}; rewritten by infrakt cron add.`,
    '# usage: run.sh timer|manual',
    'set -u',
    ...Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`),
    'trigger=${1:-timer}',
    // The task's command becomes the positional parameters: quoted words, never re-parsed.
    `set -- ${i.command.map(quote).join(' ')}`,
    SCRIPT_BODY,
  ].join('\n');
}

// Constant text: the task's values are the variables above.
const SCRIPT_BODY = String.raw`umask 077
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
ms() { echo $(($(date +%s%N) / 1000000)); }
started=$(now)
t0=$(ms)
release=''
status() {
  printf '{"trigger":"%s","status":"%s","exitCode":%s,"startedAt":"%s","finishedAt":"%s","durationMs":%s,"release":"%s","message":"%s"}\n' \
    "$trigger" "$1" "$2" "$started" "$(now)" "$(($(ms) - t0))" "$release" "$3" >"$TASK_DIR/.last.json.tmp" &&
    mv -f "$TASK_DIR/.last.json.tmp" "$TASK_DIR/last.json"
}
fail() {
  echo "task failed: $1" >&2
  echo "task failed: $1" >"$TASK_DIR/last.log"
  status failed "${'$'}{2:-1}" "$1"
  exit "${'$'}{2:-1}"
}
case $trigger in timer | manual) ;; *) echo "usage: run.sh timer|manual" >&2; exit 2 ;; esac
mkdir -p "$TASK_DIR" || exit 1
if ! mkdir "$TASK_DIR/.lock" 2>/dev/null; then
  pid=$(cat "$TASK_DIR/.lock/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "skipped: the previous run (pid $pid) is still running"
    exit 0
  fi
  rm -rf "$TASK_DIR/.lock"
  mkdir "$TASK_DIR/.lock" 2>/dev/null || fail "cannot take the task lock"
fi
echo $$ >"$TASK_DIR/.lock/pid"
name=''
cleanup() {
  if [ -n "$name" ]; then docker rm --force "$name" >/dev/null 2>&1; fi
  rm -f "$TASK_DIR/.run.log"
  rm -rf "$TASK_DIR/.lock"
}
trap cleanup EXIT
trap 'fail "interrupted" 130' INT TERM HUP
read -r release routed <"$CURRENT" 2>/dev/null || fail "the app has no current release (deploy it first)"
case $release in '' | *[!0-9]*) fail "the current release marker is unreadable" ;; esac
if docker compose version >/dev/null 2>&1; then dc='docker compose'
elif docker-compose version >/dev/null 2>&1; then dc='docker-compose'
else fail "neither docker compose nor docker-compose works"; fi
service=${'$'}{SERVICE:-$routed}
if [ "$service" = "$routed" ]; then
  project="$PROJECT_PREFIX$release"
  file="$APP_DIR/releases/$release/docker-compose.yml"
else
  project=$SVC_PROJECT
  file=$SVC_FILE
fi
[ -f "$file" ] || fail "release $release is not on this server any more"
envfile=''
if [ -f "$APP_DIR/.env" ]; then envfile="$APP_DIR/.env"; fi
name="$project-task-$$"
timeout --kill-after=10 "$TIMEOUT" $dc --project-name "$project" --file "$file" ${'$'}{envfile:+--env-file "$envfile"} \
  run --rm --no-deps -T --name "$name" "$service" "$@" >"$TASK_DIR/.run.log" 2>&1 </dev/null
rc=$?
cat "$TASK_DIR/.run.log"
tail -n 100 "$TASK_DIR/.run.log" >"$TASK_DIR/last.log"
if [ "$rc" -eq 124 ]; then status failed 124 "timed out after $TIMEOUT s"; exit 124; fi
if [ "$rc" -eq 0 ]; then status ok 0 ""; else status failed "$rc" "exited $rc"; fi
exit "$rc"
`;

/** `run.sh manual`: one run now, its output on stdout, its status as the exit status. */
export const runTaskNow = (script: string): Cmd => exec('sh', script, 'manual');

export function renderTaskServiceUnit(i: Pick<TaskScriptInput, 'app' | 'root' | 'task'>): string {
  return [
    `# Managed by infrakt: task ${i.task} of app ${i.app}.`,
    '[Unit]',
    `Description=infrakt task ${i.task} of app ${i.app}`,
    'After=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${taskScriptPath(i)} timer`,
    '',
  ].join('\n');
}

export function renderTaskTimerUnit(i: Pick<TaskScriptInput, 'app' | 'task'>, onCalendar: string): string {
  return [
    `# Managed by infrakt: when to run task ${i.task} of app ${i.app}.`,
    '[Unit]',
    `Description=infrakt schedule of task ${i.task} of app ${i.app}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // On time (systemd's default accuracy is a minute); a run missed while the server was off is not caught up.
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** An /etc/cron.d entry (servers without systemd as PID 1); the script keeps its own result and log. */
export function renderTaskCronFile(i: Pick<TaskScriptInput, 'app' | 'root' | 'task'>, cron: string): string {
  return [
    `# Managed by infrakt: task ${i.task} of app ${i.app}.`,
    'SHELL=/bin/sh',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `${cron} root /bin/sh ${taskScriptPath(i)} timer >/dev/null 2>&1`,
    '',
  ].join('\n');
}

// Constant text: task directories arrive as arguments.
const READ_LAST =
  'for d in "$@"; do printf "@@%s\\n" "$d"; if [ -f "$d/last.json" ]; then head -c 4096 "$d/last.json" | tr -d "\\n"; ' +
  'else printf null; fi; echo; if [ -f "$d/last.log" ]; then tail -n 20 "$d/last.log" | base64 | tr -d "\\n"; fi; echo; done';

/** One round trip for the last result of several tasks: three lines per directory (see parseTaskResults). */
export const readTaskResults = (dirs: readonly string[]): Cmd => exec('sh', '-c', READ_LAST, 'infrakt-tasks', ...dirs);

export interface TaskResult {
  readonly status: 'ok' | 'failed' | 'never';
  readonly exitCode: number | null;
  readonly trigger: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly release: number | null;
  readonly message: string | null;
  /** The last lines of the run's output. */
  readonly logTail: string;
}

export const NEVER_RUN: TaskResult = {
  status: 'never',
  exitCode: null,
  trigger: null,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  release: null,
  message: null,
  logTail: '',
};

// atob (not Buffer): core stays free of Node APIs.
function fromBase64(b64: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  } catch {
    return '';
  }
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The results `readTaskResults` printed, by task directory. */
export function parseTaskResults(stdout: string): Map<string, TaskResult> {
  const out = new Map<string, TaskResult>();
  const lines = stdout.split('\n');
  for (let i = 0; i + 2 < lines.length + 1; i++) {
    const head = lines[i] ?? '';
    if (!head.startsWith('@@')) continue;
    const dir = head.slice(2);
    const json = lines[i + 1] ?? 'null';
    const log = lines[i + 2] ?? '';
    i += 2;
    let data: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(json) as unknown;
      if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
    } catch {
      data = null;
    }
    const logTail = log ? fromBase64(log) : '';
    if (!data) {
      out.set(dir, { ...NEVER_RUN, logTail });
      continue;
    }
    const release = str(data.release);
    out.set(dir, {
      status: data.status === 'ok' ? 'ok' : 'failed',
      exitCode: num(data.exitCode),
      trigger: str(data.trigger),
      startedAt: str(data.startedAt),
      finishedAt: str(data.finishedAt),
      durationMs: num(data.durationMs),
      release: release && /^\d+$/.test(release) ? Number(release) : null,
      message: str(data.message),
      logTail,
    });
  }
  return out;
}
