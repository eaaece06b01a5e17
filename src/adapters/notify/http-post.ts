import { InfraktError } from '../../core/errors.js';

export interface PostResult {
  status: number;
  /** The first bytes of the answer, for the delivery log (receivers explain refusals there). */
  body: string;
}

/**
 * One POST of a notification body. Redirects are not followed (a 3xx is an answer to log, and following it
 * could carry the signed body somewhere the user never configured); the whole exchange has a deadline.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new InfraktError('COMMAND_FAILED', `POST to ${originOf(url)} failed: ${why}`);
  }
  const text = await res.text().catch(() => '');
  return { status: res.status, body: text.slice(0, 200) };
}

/** scheme://host[:port] of a URL: what logs and views may show of a URL whose path is a secret. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
