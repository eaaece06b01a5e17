/** One Server-Sent Event as the WHATWG spec dispatches it. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * Incremental text/event-stream parser: feed it decoded chunks in any split,
 * it calls `onEvent` per complete event. Comments (keep-alives) are ignored.
 */
export function createSseParser(onEvent: (e: SseEvent) => void): { push(chunk: string): void; end(): void } {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let lastId: string | null = null;

  const dispatch = () => {
    if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n'), id: lastId });
    data = [];
    event = '';
  };

  const line = (l: string) => {
    if (l === '') return dispatch();
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon === -1 ? l : l.slice(0, colon);
    let value = colon === -1 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) lastId = value;
  };

  return {
    push(chunk: string) {
      buffer += chunk;
      // A trailing "\r" may be the first half of "\r\n": keep it until the next chunk.
      const re = /\r\n|\r(?!$)|\n/g;
      let start = 0;
      for (let m = re.exec(buffer); m; m = re.exec(buffer)) {
        line(buffer.slice(start, m.index));
        start = m.index + m[0].length;
      }
      buffer = buffer.slice(start);
    },
    end() {
      // An event without its terminating blank line is discarded, as browsers do.
      buffer = '';
      data = [];
      event = '';
    },
  };
}
