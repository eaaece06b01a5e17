/**
 * Secrets a job produced that must reach the user exactly once (a new database's password): kept in
 * this process's memory only, handed out by the first claim, forgotten after that or after `ttlMs`.
 * Job records only ever hold `[redacted]`.
 */
export class OneTimeSecrets {
  private readonly items = new Map<string, { value: Record<string, string>; expires: number }>();

  constructor(
    private readonly ttlMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  put(jobId: string, value: Record<string, string>): void {
    this.sweep();
    this.items.set(jobId, { value, expires: this.now() + this.ttlMs });
  }

  /** The secret, once; undefined if never stored, already claimed or expired. */
  claim(jobId: string): Record<string, string> | undefined {
    this.sweep();
    const item = this.items.get(jobId);
    this.items.delete(jobId);
    return item?.value;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, v] of this.items) if (v.expires <= t) this.items.delete(k);
  }
}
