// A fetch-based SSE reader, the way the dashboard reads streams (EventSource cannot send X-API-Key).

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export interface SseReading {
  status: number;
  events: SseEvent[];
  /** Resolves when the server closes the stream (or the reader is aborted). */
  closed: Promise<void>;
  /** Resolves with the first event matching `pred` (rejects on timeout or close without it). */
  waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  abort(): void;
}

export async function readSse(url: string, headers: Record<string, string>): Promise<SseReading> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const notify = () => {
    for (const w of waiters) w();
  };
  const closed = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { event: 'message', id: undefined, data: '' };
          const data: string[] = [];
          let any = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [k, ...rest] = line.split(':');
            const v = rest.join(':').replace(/^ /, '');
            if (k === 'event') e.event = v;
            else if (k === 'id') e.id = v;
            else if (k === 'data') data.push(v);
            else continue;
            any = true;
          }
          if (any) {
            e.data = data.join('\n');
            events.push(e);
            notify();
          }
          i = buf.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      notify();
    }
  })();
  return {
    status: res.status,
    events,
    closed,
    abort: () => ctrl.abort(),
    waitFor(pred, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(pred);
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (ended) {
            cleanup();
            reject(new Error(`stream closed without the event; got: ${events.map((x) => x.event).join(',')}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out; got: ${events.map((x) => `${x.event}:${x.data.slice(0, 80)}`).join(' | ')}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
