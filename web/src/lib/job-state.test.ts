import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../api/types.js';
import { applyEvent, isTerminal, type JobState, mergeLogs, toLogLine } from './job-state.js';

const job: JobRecord = {
  id: 'j1',
  kind: 'deploy',
  status: 'running',
  target: 'web-1/api',
  serverId: 1,
  appId: 1,
  actor: 'test',
  params: {},
  result: null,
  error: null,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  steps: [{ idx: 0, name: 'pull', status: 'running', exitCode: null, detail: null, startedAt: null, finishedAt: null }],
};
const base: JobState = { job, logs: [] };

describe('applyEvent (the API sends: job, step, log, status, end)', () => {
  it('replaces the job on a snapshot', () => {
    const s = applyEvent({ job: null, logs: [] }, 'job', job);
    expect(s.job?.id).toBe('j1');
  });

  it('updates a step sent bare, and inserts new steps in order', () => {
    const s1 = applyEvent(base, 'step', { ...job.steps[0], status: 'succeeded' });
    expect(s1.job?.steps[0]?.status).toBe('succeeded');
    const s2 = applyEvent(s1, 'step', { idx: 2, name: 'switch', status: 'running' });
    const s3 = applyEvent(s2, 'step', { idx: 1, name: 'up', status: 'pending' });
    expect(s3.job?.steps.map((x) => x.name)).toEqual(['pull', 'up', 'switch']);
  });

  it('also accepts a JobEvent-shaped step', () => {
    const s = applyEvent(base, 'message', { type: 'step', step: { ...job.steps[0], status: 'failed' } });
    expect(s.job?.steps[0]?.status).toBe('failed');
  });

  it('applies status and end with their error', () => {
    const err = { code: 'COMMAND_FAILED', message: 'boom' };
    const s = applyEvent(base, 'end', { status: 'failed', error: err });
    expect(s.job?.status).toBe('failed');
    expect(s.job?.error).toEqual(err);
    expect(isTerminal(s.job?.status)).toBe(true);
    expect(applyEvent(base, 'status', { status: 'succeeded', error: null }).job?.status).toBe('succeeded');
  });

  it('appends log lines once, in id order', () => {
    const line = (id: number) => ({ type: 'log', id, stepIdx: 0, stream: 'stdout', line: `l${id}`, ts: '' });
    let s = applyEvent(base, 'log', line(2));
    s = applyEvent(s, 'log', line(1));
    s = applyEvent(s, 'log', line(2));
    expect(s.logs.map((l) => l.line)).toEqual(['l1', 'l2']);
  });

  it('ignores junk', () => {
    expect(applyEvent(base, 'log', { nope: 1 })).toBe(base);
    expect(applyEvent(base, 'step', { idx: 'x' })).toBe(base);
    expect(applyEvent(base, 'whatever', null)).toBe(base);
  });
});

describe('log helpers', () => {
  it('normalises rows and rejects ones without id/line', () => {
    expect(toLogLine({ id: 1, line: 'x', stream: 'weird', step_idx: 3 })).toMatchObject({ stream: 'info', stepIdx: 3 });
    expect(toLogLine({ id: 'a', line: 'x' })).toBeNull();
  });

  it('mergeLogs returns the same array when nothing is new', () => {
    const cur = [{ type: 'log' as const, id: 1, stepIdx: null, stream: 'info' as const, line: 'a', ts: '' }];
    expect(mergeLogs(cur, cur)).toBe(cur);
  });
});
