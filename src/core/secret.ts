const INSPECT = Symbol.for('nodejs.util.inspect.custom');
export const REDACTED = '[redacted]';

/**
 * A value that must never be printed. Every accidental path to text
 * (template strings, JSON, console.log/inspect) yields `[redacted]`;
 * only `reveal()` gives the plaintext, so each use of it is grep-able.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [INSPECT](): string {
    return `Secret(${REDACTED})`;
  }
}

export const secret = (value: string): Secret => new Secret(value);

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** Replaces every occurrence of the given secret values in a text (for logs of remote output). */
export function scrub(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    if (v.length >= 4) out = out.split(v).join(REDACTED);
  }
  return out;
}
