/** At most `max` events per key in any `windowMs` (in memory: one `infrakt serve` process receives). */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a hit and says whether it is within the limit; a refused hit is not recorded. */
  take(key: string): boolean {
    const cutoff = this.now() - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length >= this.max) {
      this.hits.set(key, list);
      return false;
    }
    list.push(this.now());
    this.hits.set(key, list);
    // Bounded memory: hooks are few, but never let the map grow without end.
    if (this.hits.size > 10_000) this.hits.delete(this.hits.keys().next().value as string);
    return true;
  }
}

export interface WebhookLimits {
  /** Signed deliveries accepted per hook in `windowMs` (default 20 per minute); more answer 429. */
  perHook: number;
  windowMs: number;
}

export const DEFAULT_WEBHOOK_LIMITS: WebhookLimits = { perHook: 20, windowMs: 60_000 };
