import { describe, expect, it } from 'vitest';
import type { AppSettingsView } from '../api/types.js';
import { lines, settingsForm, settingsPatch } from './app-settings-form.js';

const view: AppSettingsView = {
  app: 'web',
  server: 's1',
  domains: ['a.example.com', 'b.example.com'],
  wwwRedirect: false,
  port: 3000,
  health: { path: '/health', timeoutMs: 60_000 },
  memory: null,
  cpus: null,
  restart: 'unless-stopped',
  volumes: [{ kind: 'named', source: 'data', path: '/data', readOnly: false, spec: 'data:/data' }],
  releaseCommand: null,
  preBackupHook: 'pg_dump -f /data/dump.sql',
  init: true,
  stopTimeoutSec: 10,
  drainTimeoutSec: 30,
  git: null,
  privileges: [],
  pending: [],
};

describe('app settings form', () => {
  it('sends nothing when nothing changed', () => {
    const f = settingsForm(view);
    expect(settingsPatch(f, { ...f })).toEqual({ body: {}, errors: {} });
    expect(settingsPatch(f, { ...f, domains: ' a.example.com, b.example.com \n' }).body).toEqual({});
  });

  it('sends only the changed fields, emptied limits as null', () => {
    const f = { ...settingsForm(view), memory: '512m', cpus: '1.5', releaseCommand: 'x' };
    const after = {
      ...f,
      domains: 'A.example.com\nc.example.com',
      memory: '',
      cpus: '',
      releaseCommand: '',
      preBackupHook: '',
      healthTimeout: '90',
      volumes: '',
      wwwRedirect: true,
    };
    expect(settingsPatch(f, after)).toEqual({
      body: {
        domains: ['a.example.com', 'c.example.com'],
        wwwRedirect: true,
        healthTimeout: 90,
        memory: null,
        cpus: null,
        volumes: [],
        releaseCommand: null,
        preBackupHook: null,
      },
      errors: {},
    });
  });

  it('names what is wrong', () => {
    const f = settingsForm(view);
    const { errors } = settingsPatch(f, {
      ...f,
      domains: 'a.example.com\nnot a domain',
      port: '70000',
      healthPath: 'health',
      healthTimeout: '0',
      memory: '12x',
      cpus: '-1',
    });
    expect(Object.keys(errors).sort()).toEqual(['cpus', 'domains', 'healthPath', 'healthTimeout', 'memory', 'port']);
    expect(errors.domains).toMatch(/^not a domain must be/);
    expect(settingsPatch(f, { ...f, domains: 'a.example.com\na.example.com' }).errors.domains).toBe(
      'lists a domain twice',
    );
  });

  it('splits lists on lines and commas', () => {
    expect(lines(' a, b\n\nc ')).toEqual(['a', 'b', 'c']);
  });
});
