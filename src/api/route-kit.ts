import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from '../core/access.js';
import type { Ctx } from '../services/shared/context.js';
import type { JobPlan } from '../services/shared/job-plan.js';
import type { Resolve } from '../services/shared/ssrf.js';
import { API_KEY_HEADER } from './auth.js';
import type { OneTimeSecrets } from './one-time.js';
import type { ReadCache } from './read-cache.js';
import { errorSchema } from './schemas.js';
import type { TerminalTickets } from './terminal-tickets.js';

/**
 * A 202 `{ jobId, job }` response. Typed `never` for the route handlers' benefit: Hono's typed-JSON check
 * cannot express `params: Record<string, unknown>`; the OpenAPI 202 schema documents the shape.
 */
export type AcceptedResponse = never;

export type ApiEnv = {
  Variables: {
    ctx: Ctx;
    clientAddress: string;
    /** Who is calling (set by authenticate; absent on public routes). */
    principal: Principal;
    /** The session cookie's token when the caller signed in to the dashboard. */
    session: string | null;
  };
};
export type Api = OpenAPIHono<ApiEnv>;

/** What route modules need besides the request: the per-request Ctx comes from `c.var.ctx`. */
export interface RouteDeps {
  /** Starts a prepared job (validation already done by `prepare*`) and answers 202 + Location. */
  startPlan<T>(
    c: Context<ApiEnv>,
    plan: JobPlan<T>,
    onResult?: (result: T, jobId: string) => void,
  ): Promise<AcceptedResponse>;
  /** 202 `{ jobId, job }` with its Location, for a job already recorded (e.g. a request held for approval). */
  accepted(c: Context<ApiEnv>, jobId: string): Promise<AcceptedResponse>;
  /** One-time secrets produced by jobs (new database credentials). */
  secrets: OneTimeSecrets;
  /** DNS resolver for the SSRF check of git URLs (tests inject one). */
  resolve: Resolve | undefined;
  allowLocalGitPaths: boolean;
  allowLocalServer: boolean;
  ssePingMs: number | undefined;
  /** Memo of hot read-only list bodies, invalidated by any database change. */
  reads: ReadCache;
  /** One-time tickets of the terminal WebSocket. */
  terminals: TerminalTickets;
  log(line: string): void;
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

/** The error answers every authenticated route can give, in the one `{ error }` shape. */
export const ERRORS = {
  400: err('Invalid input (VALIDATION)'),
  401: err(`No credentials (${API_KEY_HEADER}, a token or a session), or the session ended`),
  403: err('Wrong key or token, or not allowed for this role/scope, or a missing CSRF token'),
  404: err('No such resource'),
  409: err('Conflict with existing state'),
  422: err('Not possible in the current state (STATE)'),
  423: err('The app or server is locked by a running job'),
  429: err('Too many failed API key attempts'),
  500: err('Internal error'),
} as const;

/** Errors of routes that talk to a server over SSH. */
export const REMOTE_ERRORS = {
  ...ERRORS,
  502: err('The server could not be reached or a remote command failed'),
  504: err('The server did not answer in time'),
} as const;

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Any of: the owner's API key, a scoped token, the dashboard session cookie (with X-CSRF-Token on changes). */
export const security: Record<string, string[]>[] = [{ ApiKey: [] }, { BearerToken: [] }, { SessionCookie: [] }];

export const isTrue = (v: string | undefined) => v === 'true' || v === '1';
