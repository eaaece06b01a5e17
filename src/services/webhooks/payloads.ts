import { z } from 'zod';
import { COMMIT_RE } from '../../core/commands/git.js';
import type { Provider } from './signatures.js';

/** A delivery reduced to what infrakt acts on, whichever forge sent it. */
export type HookEvent =
  | { kind: 'ping' }
  /** `branch` null: a tag push; `commit` null: the branch was deleted. */
  | { kind: 'push'; branch: string | null; commit: string | null }
  | {
      kind: 'pr';
      action: 'open' | 'update' | 'close' | 'other';
      number: number;
      headSha: string;
      headRef: string;
      baseBranch: string;
    }
  | { kind: 'other'; name: string };

const ZERO = /^0+$/;
const sha = z.string().regex(COMMIT_RE);
const branchOf = (ref: string): string | null => (ref.startsWith('refs/heads/') ? ref.slice(11) : null);

const pushSchema = z.object({
  ref: z.string().max(512),
  after: z.string().max(64),
  checkout_sha: z.string().max(64).nullish(),
});

const githubPr = z.object({
  action: z.string().max(64),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({ sha, ref: z.string().max(255) }),
    base: z.object({ ref: z.string().max(255) }),
  }),
});

const gitlabMr = z.object({
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().max(64).nullish(),
    source_branch: z.string().max(255),
    target_branch: z.string().max(255),
    last_commit: z.object({ id: sha }),
    /** Present on `update` when new commits were pushed (absent for title/label edits). */
    oldrev: z.string().nullish(),
  }),
});

function push(body: unknown): HookEvent | null {
  const p = pushSchema.safeParse(body);
  if (!p.success) return null;
  const after = p.data.checkout_sha ?? p.data.after;
  const deleted = ZERO.test(p.data.after) || !COMMIT_RE.test(after);
  return { kind: 'push', branch: branchOf(p.data.ref), commit: deleted ? null : after };
}

const GITHUB_PR_ACTIONS: Record<string, 'open' | 'update' | 'close'> = {
  opened: 'open',
  reopened: 'open',
  synchronize: 'update',
  // Gitea and Forgejo say "synchronized".
  synchronized: 'update',
  closed: 'close',
};

const GITLAB_MR_ACTIONS: Record<string, 'open' | 'update' | 'close'> = {
  open: 'open',
  reopen: 'open',
  update: 'update',
  close: 'close',
  merge: 'close',
};

/** Turns a verified delivery into a HookEvent; `null` when the body is not what the event header announced. */
export function parseEvent(p: Provider, event: string, body: unknown): HookEvent | null {
  if (p === 'gitlab') {
    if (event === 'Push Hook') return push(body);
    if (event === 'Tag Push Hook') return { kind: 'push', branch: null, commit: null };
    if (event === 'Merge Request Hook') {
      const m = gitlabMr.safeParse(body);
      if (!m.success) return null;
      const a = m.data.object_attributes;
      let action: 'open' | 'update' | 'close' | 'other' = GITLAB_MR_ACTIONS[a.action ?? ''] ?? 'other';
      if (action === 'update' && !a.oldrev) action = 'other';
      return {
        kind: 'pr',
        action,
        number: a.iid,
        headSha: a.last_commit.id,
        headRef: a.source_branch,
        baseBranch: a.target_branch,
      };
    }
    return { kind: 'other', name: event };
  }
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'push') return push(body);
  if (event === 'pull_request') {
    const m = githubPr.safeParse(body);
    if (!m.success) return null;
    return {
      kind: 'pr',
      action: GITHUB_PR_ACTIONS[m.data.action] ?? 'other',
      number: m.data.number,
      headSha: m.data.pull_request.head.sha,
      headRef: m.data.pull_request.head.ref,
      baseBranch: m.data.pull_request.base.ref,
    };
  }
  return { kind: 'other', name: event };
}

/** Where a forge keeps a pull request's head (fetchable even when it comes from a fork). */
export function prHeadRef(p: Provider, n: number): string {
  return p === 'gitlab' ? `refs/merge-requests/${n}/head` : `refs/pull/${n}/head`;
}
