import { describe, expect, it } from 'vitest';
import { filterLines, parseLogEvent, stripAnsi } from './log-lines.js';

describe('app log lines', () => {
  it('parses the API shape, plain text and arrays, and drops terminal escapes', () => {
    expect(parseLogEvent('{"stream":"stderr","line":"\\u001b[2Kapp-1  | listening"}')).toEqual([
      { text: 'app-1  | listening', stream: 'stderr' },
    ]);
    expect(parseLogEvent('plain line')).toEqual([{ text: 'plain line', stream: 'stdout' }]);
    expect(parseLogEvent('[{"line":"a"},{"message":"b","service":"web"},{"nope":1}]')).toEqual([
      { text: 'a', stream: 'stdout' },
      { text: 'web | b', stream: 'stdout' },
    ]);
  });

  it('strips colours, OSC titles and carriage returns', () => {
    expect(stripAnsi('\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\r')).toBe('red ok');
  });

  it('filters case-insensitively', () => {
    const lines = [{ text: 'GET /health 200' }, { text: 'listening on :3000' }];
    expect(filterLines(lines, 'LISTEN')).toEqual([{ text: 'listening on :3000' }]);
    expect(filterLines(lines, '  ')).toBe(lines);
  });
});
