export interface Migration {
  /** Strictly increasing; gaps are allowed. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
