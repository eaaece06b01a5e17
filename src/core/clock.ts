/** The time port: services and the job runner read the time through it, so tests can fix it. */
export interface Clock {
  now(): Date;
}
