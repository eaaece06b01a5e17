import { validation } from '../errors.js';

/**
 * A 5-field cron expression (`min hour day-of-month month day-of-week`), validated and converted to a systemd
 * OnCalendar expression. Supported per field: `*`, numbers, names (jan-dec, sun-sat), lists `a,b`, ranges `a-b`
 * and steps `*\/n`, `a-b/n`, `a/n`; shortcuts @hourly @daily @midnight @weekly @monthly @yearly @annually.
 * Refused (no faithful OnCalendar equivalent): `@reboot`, `L W # ?`, and a day-of-month together with a
 * day-of-week (cron runs when *either* matches, systemd only when both do).
 */
export interface CronSchedule {
  /** The normalised 5-field expression (for crontab). */
  readonly cron: string;
  readonly onCalendar: string;
}

const SHORTCUTS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SYSTEMD_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface Field {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Offset of names[0] (months start at 1). */
  readonly nameBase?: number;
}

const FIELDS: readonly Field[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  // 7 is Sunday too (folded to 0 below).
  { label: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

const HINT = 'use 5 fields "min hour day month weekday", e.g. "0 3 * * *" (daily at 03:00) or "*/30 * * * *"';

function bad(expr: string, why: string): never {
  throw validation(`invalid schedule "${expr}": ${why}`, HINT);
}

function value(expr: string, f: Field, s: string): number {
  const lower = s.toLowerCase();
  if (f.names) {
    const i = f.names.indexOf(lower);
    if (i >= 0) return i + (f.nameBase ?? 0);
  }
  if (!/^\d{1,2}$/.test(s)) bad(expr, `"${s}" is not a valid ${f.label}`);
  const n = Number(s);
  if (n < f.min || n > f.max) bad(expr, `${f.label} ${n} is outside ${f.min}-${f.max}`);
  return n;
}

/** Every value a field matches, sorted; `full` when it matches its whole range (`*`). */
function expand(expr: string, f: Field, text: string): { values: number[]; full: boolean } {
  const special = /[#?]/.test(text) || text.split(/[,/-]/).some((t) => /^(\d*L|\d+W|LW)$/i.test(t));
  if (special) bad(expr, `"${text}" uses L, W, # or ?, which cannot be converted`);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) bad(expr, `"${part}" is not a valid ${f.label}`);
    const [, range = '', stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) bad(expr, `step ${stepText} must be at least 1`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.max === 7 ? 6 : f.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = value(expr, f, a);
      hi = value(expr, f, b);
      if (lo > hi) bad(expr, `range ${range} runs backwards`);
    } else {
      lo = value(expr, f, range);
      hi = stepText === undefined ? lo : f.max === 7 ? 6 : f.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(f.max === 7 && v === 7 ? 0 : v);
  }
  const values = [...out].sort((a, b) => a - b);
  const size = (f.max === 7 ? 6 : f.max) - f.min + 1;
  return { values, full: values.length === size };
}

const two = (n: number) => String(n).padStart(2, '0');

export function parseCron(input: string): CronSchedule {
  const expr = input.trim().replace(/\s+/g, ' ');
  if (expr === '@reboot') bad(expr, '@reboot has no calendar equivalent');
  const normal = SHORTCUTS[expr.toLowerCase()] ?? expr;
  const parts = normal.split(' ');
  if (parts.length !== 5) bad(expr, `expected 5 fields, got ${parts.length}`);
  const [min, hour, dom, month, dow] = parts.map((p, i) => expand(expr, FIELDS[i]!, p));
  if (!dom!.full && !dow!.full && parts[2] !== '*' && parts[4] !== '*') {
    bad(expr, 'a day of month and a day of week together mean "either" in cron but "both" in systemd');
  }
  const list = (f: { values: number[]; full: boolean }, fmt: (n: number) => string) =>
    f.full ? '*' : f.values.map(fmt).join(',');
  const days = dow!.full ? '' : `${dow!.values.map((d) => SYSTEMD_DAYS[d]).join(',')} `;
  const onCalendar = `${days}*-${list(month!, two)}-${list(dom!, two)} ${list(hour!, two)}:${list(min!, two)}:00`;
  return { cron: normal, onCalendar };
}
