import { toInfraktError } from '../core/errors.js';
import { errorBody } from './errors.js';

/**
 * Server-Sent Events over a plain ReadableStream. Clients read it with fetch() so they can send
 * the X-API-Key header (EventSource cannot set headers, and the key never goes in a URL).
 */

export interface SseMessage {
  event?: string;
  /** Cursor the client sends back as `Last-Event-ID` to resume. */
  id?: string | number;
  data: unknown;
}

export interface SseSink {
  send(msg: SseMessage): void;
  close(): void;
  readonly closed: boolean;
  /** Aborted when the client goes away or the stream is closed. */
  readonly signal: AbortSignal;
}

export interface SseOptions {
  /** Comment lines keep proxies from timing the connection out. */
  pingMs?: number;
  /** A client this far behind (bytes queued) is dropped instead of buffering without bound. */
  maxQueuedBytes?: number;
}

const enc = new TextEncoder();

export function formatSse(msg: SseMessage): string {
  const data = typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data);
  let out = '';
  if (msg.event) out += `event: ${msg.event.replace(/[\r\n]/g, '')}\n`;
  if (msg.id !== undefined) out += `id: ${String(msg.id).replace(/[\r\n]/g, '')}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export function sseResponse(
  requestSignal: AbortSignal,
  run: (sink: SseSink) => void | Promise<void>,
  opts: SseOptions = {},
): Response {
  const done = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ping: NodeJS.Timeout | undefined;
  const maxQueued = opts.maxQueuedBytes ?? 8 * 1024 * 1024;

  const sink: SseSink = {
    get closed() {
      return done.signal.aborted;
    },
    signal: done.signal,
    send(msg) {
      write(formatSse(msg));
    },
    close() {
      if (done.signal.aborted) return;
      done.abort();
      clearInterval(ping);
      try {
        controller.close();
      } catch {
        // already closed or cancelled by the client
      }
    },
  };

  function write(text: string): void {
    if (done.signal.aborted) return;
    if ((controller.desiredSize ?? 0) < -maxQueued) {
      sink.close();
      return;
    }
    controller.enqueue(enc.encode(text));
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        write(': connected\n\n');
        if (opts.pingMs !== 0) {
          ping = setInterval(() => write(': ping\n\n'), opts.pingMs ?? 15_000);
          ping.unref();
        }
        if (requestSignal.aborted) sink.close();
        else requestSignal.addEventListener('abort', () => sink.close(), { once: true });
        Promise.resolve()
          .then(() => run(sink))
          .catch((e: unknown) => {
            sink.send({ event: 'error', data: errorBody(toInfraktError(e)) });
            sink.close();
          });
      },
      cancel() {
        sink.close();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );

  return new Response(stream, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // Reverse proxies (nginx) must not buffer the stream.
      'X-Accel-Buffering': 'no',
    },
  });
}

/** The resume cursor sent by the client, if it is a non-negative integer. */
export function lastEventId(header: string | undefined): number | undefined {
  if (!header || !/^\d{1,15}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}
