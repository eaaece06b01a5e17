import { measureMemory } from 'node:vm';

/**
 * One full garbage collection once `infrakt serve` listens. Start-up leaves megabytes of garbage in V8's old
 * generation (the bundle's source string read by bin/infrakt.js, module initialisation, the first queries),
 * and an idle server allocates too little for V8 to collect it on its own: without this it stays resident
 * until V8's memory reducer runs, ~30 s or more later. `measureMemory({ execution: 'eager' })` is the one way
 * to start a full GC from JavaScript without V8 flags — a flag set at run time changes the flag hash that the
 * V8 code cache of bin/infrakt.js is checked against, so every later start would compile the bundle again.
 * Best effort: it only ever frees memory.
 */
export async function collectStartupGarbage(): Promise<void> {
  // vm.measureMemory is marked experimental (Node 20-24): its one-time warning would only puzzle people.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('vm.measureMemory')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  let gc: Promise<unknown>;
  try {
    gc = measureMemory({ mode: 'summary', execution: 'eager' });
  } catch {
    return; // not in this Node build: V8 collects later on its own
  } finally {
    process.emitWarning = emitWarning;
  }
  await gc.catch(() => undefined);
}
