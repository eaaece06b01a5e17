import pc from 'picocolors';

/** Colours only for a TTY and only when NO_COLOR is unset (https://no-color.org). */
export const colorEnabled = (stream: NodeJS.WriteStream = process.stdout): boolean =>
  !('NO_COLOR' in process.env) && Boolean(stream.isTTY) && process.env.TERM !== 'dumb';

const colors = pc.createColors(colorEnabled());
const errColors = pc.createColors(colorEnabled(process.stderr));
export const c = colors;
export const ce = errColors;

let printedJson = false;
/** Whether this command already printed its JSON result (a failure after it must not print a second document). */
export const jsonPrinted = (): boolean => printedJson;

export function printJson(value: unknown): void {
  printedJson = true;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function success(message: string): void {
  process.stdout.write(`${colors.green('✓')} ${message}\n`);
}

const STATUS_COLOR: Record<string, (s: string) => string> = {
  active: colors.green,
  running: colors.green,
  succeeded: colors.green,
  ok: colors.green,
  created: colors.cyan,
  queued: colors.cyan,
  deploying: colors.yellow,
  provisioning: colors.yellow,
  unknown: colors.dim,
  stopped: colors.dim,
  cancelled: colors.dim,
};

export function status(s: string): string {
  return (STATUS_COLOR[s] ?? colors.red)(s);
}

// Visible width, ignoring ANSI colour codes.
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, '').length;

/** A plain aligned table for people; machines use --json. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  return [colors.bold(line(headers)), ...rows.map(line)].join('\n');
}

export function printTable(headers: readonly string[], rows: readonly (readonly string[])[], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  process.stdout.write(`${table(headers, rows)}\n`);
}

export const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? '-' : String(v);
