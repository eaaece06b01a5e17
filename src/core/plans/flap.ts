/**
 * Up/down with flap damping: a target changes state only after `downAfter` failed (or `upAfter` good)
 * checks in a row, so one lost packet or one slow answer raises nothing. The first result of a new target
 * is believed at once for "up" (nothing to announce) and after `downAfter` failures for "down".
 */
export type MonitorState = 'unknown' | 'up' | 'down';

export interface Damping {
  downAfter: number;
  upAfter: number;
}

export interface Transition {
  state: MonitorState;
  /** Consecutive results disagreeing with `state`. */
  streak: number;
  /** Set when the state changed in a way worth an event. */
  event: 'down' | 'up' | null;
}

export function nextState(state: MonitorState, streak: number, ok: boolean, d: Damping): Transition {
  if (state === 'unknown') {
    if (ok) return { state: 'up', streak: 0, event: null };
    return streak + 1 >= d.downAfter
      ? { state: 'down', streak: 0, event: 'down' }
      : { state, streak: streak + 1, event: null };
  }
  const agrees = (state === 'up') === ok;
  if (agrees) return { state, streak: 0, event: null };
  const needed = state === 'up' ? d.downAfter : d.upAfter;
  if (streak + 1 >= needed) {
    const to = state === 'up' ? 'down' : 'up';
    return { state: to, streak: 0, event: to };
  }
  return { state, streak: streak + 1, event: null };
}

/** Threshold alarms (disk, memory) with hysteresis: raised at `limit`, cleared only `margin` points below. */
export function thresholdAlarm(
  raised: boolean,
  percent: number | null,
  limit: number,
  margin = 5,
): {
  raised: boolean;
  event: 'raised' | 'cleared' | null;
} {
  if (percent === null) return { raised, event: null };
  if (!raised && percent >= limit) return { raised: true, event: 'raised' };
  if (raised && percent < limit - margin) return { raised: false, event: 'cleared' };
  return { raised, event: null };
}
