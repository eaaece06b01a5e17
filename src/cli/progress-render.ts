import type { JobEvent, JobStep, StepStatus } from '../core/jobs.js';
import { ce } from './output.js';
import { groupSteps, neverRan, notRunLine } from './step-groups.js';

export interface Renderer {
  event(e: JobEvent): void;
  stop(): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TAIL = 5;

const SYMBOL: Record<StepStatus, string> = {
  pending: ce.dim('○'),
  running: '',
  succeeded: ce.green('✓'),
  unchanged: ce.green('='),
  skipped: ce.dim('↷'),
  failed: ce.red('✗'),
  cancelled: ce.yellow('⊘'),
};

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function stepTime(s: JobStep, now: number): string {
  if (!s.startedAt) return '';
  const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
  return duration(end - Date.parse(s.startedAt));
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

// Cuts a line to the terminal width (a wrapped line would break the cursor-up redraw).
function clip(line: string, cols: number): string {
  const plain = line.replace(ANSI, '');
  if (plain.length <= cols) return line;
  return `${plain.slice(0, Math.max(0, cols - 1))}…`;
}

/**
 * Live step list for a terminal: redraws the block of step lines in place (cursor up + clear)
 * with a spinner and running durations; with `verbose`, the last log lines of the running step
 * are shown under it.
 */
export function ttyRenderer(out: NodeJS.WriteStream, steps: JobStep[], verbose: boolean): Renderer {
  const byIdx = new Map(steps.map((s) => [s.idx, s]));
  const tails = new Map<number | null, string[]>();
  const notes: string[] = [];
  let drawn = 0;
  let frame = 0;
  let stopped = false;

  const draw = () => {
    const cols = Math.max(20, (out.columns || 100) - 1);
    const now = Date.now();
    const lines: string[] = [];
    for (const n of notes.splice(0)) lines.push(n);
    const permanent = lines.length;
    const all = [...byIdx.values()].sort((a, b) => a.idx - b.idx);
    // The block must fit on the screen (cursor-up cannot reach scrolled-off lines): show a window
    // around the first unfinished step and fold the rest into "… N" lines.
    const room = Math.max(4, (out.rows || 40) - 2 - (verbose ? 2 * TAIL : 0));
    let shown = all;
    let before = 0;
    let after = 0;
    // Once stopped nothing is redrawn, so the final picture may scroll: show every step.
    if (all.length > room && !stopped) {
      const visible = room - 2;
      const open = all.findIndex((s) => s.status === 'running' || s.status === 'pending');
      const start = Math.max(0, Math.min((open === -1 ? all.length : open) - 1, all.length - visible));
      shown = all.slice(start, start + visible);
      before = start;
      after = all.length - start - shown.length;
    }
    if (before) lines.push(ce.dim(`… ${before} earlier step(s)`));
    for (const g of groupSteps(shown)) {
      if ('notRun' in g) {
        lines.push(`${SYMBOL.skipped} ${ce.dim(notRunLine(g.notRun))}`);
        continue;
      }
      const s = g.step;
      const sym = s.status === 'running' ? ce.cyan(SPINNER[frame % SPINNER.length]!) : SYMBOL[s.status];
      const time = stepTime(s, now);
      const detail = s.detail ? ce.dim(` — ${s.detail}`) : '';
      lines.push(
        `${sym} ${s.status === 'pending' ? ce.dim(s.name) : s.name}${detail}${time ? ce.dim(` (${time})`) : ''}`,
      );
      if (verbose && s.status === 'running') for (const l of tails.get(s.idx) ?? []) lines.push(ce.dim(`    │ ${l}`));
    }
    if (after) lines.push(ce.dim(`… ${after} more step(s)`));
    if (verbose) for (const l of tails.get(null) ?? []) lines.push(ce.dim(`  │ ${l}`));
    const up = drawn > 0 ? `\x1b[${drawn}A\r\x1b[0J` : '';
    out.write(`${up}${lines.map((l) => clip(l, cols)).join('\n')}${lines.length ? '\n' : ''}`);
    // Notes scroll away above the live block; only the step block is redrawn next time.
    drawn = lines.length - permanent;
  };

  out.write('\x1b[?25l');
  const timer = setInterval(() => {
    frame++;
    draw();
  }, 100);
  timer.unref();
  draw();

  return {
    event(e) {
      if (stopped) return;
      if (e.type === 'step') byIdx.set(e.step.idx, e.step);
      else if (e.type === 'log') {
        if (e.stepIdx === null && e.stream === 'info' && !verbose) notes.push(ce.dim(`  ${e.line}`));
        else {
          const t = tails.get(e.stepIdx) ?? [];
          t.push(e.line);
          if (t.length > TAIL) t.shift();
          tails.set(e.stepIdx, t);
        }
      }
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (verbose) tails.clear();
      draw();
      out.write('\x1b[?25h');
    },
  };
}

/** Without a terminal: one plain line per step event (and per log line with `verbose`). */
export function plainRenderer(out: NodeJS.WritableStream, steps: JobStep[], verbose: boolean): Renderer {
  const shown = new Map<number, StepStatus>(steps.map((s) => [s.idx, s.status]));
  const names = new Map(steps.map((s) => [s.idx, s.name]));
  // Steps a failure left unrun arrive one event each at the end: they are printed as one line.
  let notRun: JobStep[] = [];
  const flushNotRun = () => {
    if (notRun.length === 1) out.write(`↷ ${notRun[0]!.name} skipped — not run\n`);
    else if (notRun.length > 1) out.write(`↷ ${notRunLine(notRun)}\n`);
    notRun = [];
  };
  return {
    event(e) {
      if (e.type === 'step') {
        const s = e.step;
        names.set(s.idx, s.name);
        if (shown.get(s.idx) === s.status) return;
        shown.set(s.idx, s.status);
        if (s.status === 'pending') return;
        if (neverRan(s)) {
          notRun.push(s);
          return;
        }
        flushNotRun();
        const time = s.status === 'running' ? '' : ` (${stepTime(s, Date.now())})`;
        const sym = s.status === 'running' ? '→' : SYMBOL[s.status].replace(ANSI, '');
        out.write(
          `${sym} ${s.name} ${s.status}${s.startedAt && s.status !== 'running' ? time : ''}${s.detail ? ` — ${s.detail}` : ''}\n`,
        );
      } else if (e.type === 'log') {
        flushNotRun();
        if (verbose) out.write(`  ${e.stepIdx === null ? '' : `[${names.get(e.stepIdx) ?? e.stepIdx}] `}${e.line}\n`);
        else if (e.stepIdx === null && e.stream === 'info') out.write(`  ${e.line}\n`);
      } else flushNotRun();
    },
    stop() {
      flushNotRun();
    },
  };
}
