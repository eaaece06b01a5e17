import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test PostgreSQL server (admin URL to its `postgres` database); tests make their own databases. */
    postgresUrl: string;
  }
}

let server: PostgresServer | undefined;

/** The `postgres` project's global setup: one real PostgreSQL server for the whole run, stopped at the end. */
export async function setup(project: TestProject): Promise<void> {
  server = await startPostgres();
  project.provide('postgresUrl', server.url);
}

export async function teardown(): Promise<void> {
  server?.stop();
}
