import type { JobStep } from '../core/jobs.js';

/** A step as shown, or a run of consecutive steps that never ran (a failed or cancelled job's rest). */
export type StepGroup = { readonly step: JobStep } | { readonly notRun: readonly JobStep[] };

/** Skipped by the runner because an earlier step failed (the runner's own 'not run' detail). */
export const neverRan = (s: JobStep): boolean => s.status === 'skipped' && !s.startedAt && s.detail === 'not run';

/** Folds each run of two or more never-run steps into one group; a single one stays a step of its own. */
export function groupSteps(steps: readonly JobStep[]): StepGroup[] {
  const out: StepGroup[] = [];
  let run: JobStep[] = [];
  const flush = () => {
    if (run.length === 1) out.push({ step: run[0]! });
    else if (run.length > 1) out.push({ notRun: run });
    run = [];
  };
  for (const s of [...steps].sort((a, b) => a.idx - b.idx)) {
    if (neverRan(s)) run.push(s);
    else {
      flush();
      out.push({ step: s });
    }
  }
  flush();
  return out;
}

/** `3 steps not run: build image, start release, switch route` (names cut after a few). */
export function notRunLine(steps: readonly JobStep[], maxNames = 4): string {
  const names = steps.slice(0, maxNames).map((s) => s.name);
  const more = steps.length > maxNames ? `, … ${steps.length - maxNames} more` : '';
  return `${steps.length} steps not run: ${names.join(', ')}${more}`;
}
