// A failed job (or server check, log stream, terminal) carries its error inside a 2xx answer. The views must show
// its code and hint as they do a refused request's: the hint is where "how to accept a changed host key" is.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { carriedError } from '../api/client.js';
import { ErrorState } from './states.js';

const mismatch = {
  code: 'HOST_KEY_MISMATCH',
  message: 'host key of web-1 (127.0.0.1:2222) changed: expected SHA256:a, got SHA256:b. Nothing was sent to it.',
  hint: 'if the server was really reinstalled, verify the new fingerprint out of band, then run: infrakt server trust web-1',
};

describe('an error carried in an answer', () => {
  it("shows the job error's code, message and hint", () => {
    const html = renderToStaticMarkup(<ErrorState error={carriedError(mismatch)} />);
    expect(html).toContain('[HOST_KEY_MISMATCH]');
    expect(html).toContain('changed: expected SHA256:a, got SHA256:b');
    expect(html).toContain('infrakt server trust web-1');
  });

  it('tolerates a missing hint and a shape that is not an error', () => {
    const e = carriedError({ code: 'TIMEOUT', message: 'timed out' });
    expect([e.code, e.message, e.hint]).toEqual(['TIMEOUT', 'timed out', undefined]);
    const odd = carriedError(null, 'log stream error');
    expect([odd.code, odd.message, odd.hint]).toEqual(['ERROR', 'log stream error', undefined]);
    expect(carriedError({ message: 5, hint: {} }).message).toBe('failed');
  });
});
