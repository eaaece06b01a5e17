import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse.js';

function parse(chunks: string[]): SseEvent[] {
  const out: SseEvent[] = [];
  const p = createSseParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

describe('createSseParser', () => {
  it('joins multi-line data and defaults the event name to message', () => {
    expect(parse(['data: a\ndata: b\n\n'])).toEqual([{ event: 'message', data: 'a\nb', id: null }]);
  });

  it('ignores comments (keep-alive pings) and fields it does not know', () => {
    expect(parse([': ping\n\nretry: 10\nfoo: bar\nevent: x\ndata: 1\n\n'])).toEqual([
      { event: 'x', data: '1', id: null },
    ]);
  });

  it('keeps the last id for later events, and strips only one leading space', () => {
    expect(parse(['id: 5\ndata:  two\n\ndata: three\n\n'])).toEqual([
      { event: 'message', data: ' two', id: '5' },
      { event: 'message', data: 'three', id: '5' },
    ]);
  });

  it('handles CRLF split across chunks and one char at a time', () => {
    const text = 'event: step\r\ndata: {"idx":1}\r\n\r\n';
    expect(parse([...text])).toEqual([{ event: 'step', data: '{"idx":1}', id: null }]);
  });

  it('drops an event whose blank line never came', () => {
    expect(parse(['data: partial\n'])).toEqual([]);
  });

  it('dispatches nothing for an event without data', () => {
    expect(parse(['event: x\n\n'])).toEqual([]);
  });
});
