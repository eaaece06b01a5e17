// Pure database plans: the compose file (127.0.0.1 only, named volume, health check, infrakt network, no
// secret), the .env, connection strings, passwords, cron → systemd OnCalendar, the schedule units and the
// scheduler detection.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { render } from '../../src/core/cmd/index.js';
import { DB_ENGINES } from '../../src/core/commands/db-engines.js';
import { detectScheduler, parseScheduler } from '../../src/core/commands/scheduler.js';
import {
  renderCronFile,
  renderServiceUnit,
  renderTimerUnit,
  scheduleUnit,
} from '../../src/core/plans/db-backup-schedule.js';
import { connectionStrings, renderDbCompose, renderDbEnv, renderRedisAuth } from '../../src/core/plans/db-compose.js';
import { parseCron } from '../../src/core/plans/db-cron.js';
import { Secret } from '../../src/core/secret.js';
import { generatePassword } from '../../src/services/databases/model.js';

const PW = new Secret('pw_0123456789-abcdefghijklmnopqrstu');

describe('compose file', () => {
  for (const type of ['postgres', 'mysql', 'redis', 'mongo'] as const) {
    it(`${type}: one service on 127.0.0.1, named volume, health check, infrakt network, no password`, () => {
      const text = renderDbCompose({ name: 'mydb', type, image: `${type}:x`, root: '/srv/ikt', hostPort: 21000 });
      expect(text).not.toContain(PW.reveal());
      const doc = parse(text);
      const svc = doc.services.mydb;
      const e = DB_ENGINES[type];
      expect(svc.image).toBe(`${type}:x`);
      expect(svc.container_name).toBe('mydb');
      expect(svc.ports).toEqual([`127.0.0.1:21000:${e.containerPort}`]);
      expect(svc.volumes[0]).toBe(`data:${e.dataDir}`);
      expect(svc.env_file).toEqual(['.env']);
      expect(svc.healthcheck.test).toEqual(e.healthTest);
      expect(svc.networks).toEqual(['infrakt']);
      expect(svc.labels).toEqual({ 'infrakt.app': 'mydb', 'infrakt.root': '/srv/ikt', 'infrakt.db': type });
      expect(doc.networks).toEqual({ infrakt: { external: true, name: 'infrakt' } });
      expect(Object.keys(doc.volumes)).toEqual(['data']);
    });
  }
  it('redis: requirepass comes from an included file, not the command line', () => {
    const doc = parse(renderDbCompose({ name: 'c', type: 'redis', image: 'redis:7', root: '/r', hostPort: 20000 }));
    expect(doc.services.c.command).toEqual(['redis-server', '--include', '/usr/local/etc/redis/infrakt-auth.conf']);
    expect(doc.services.c.volumes).toContain('./redis-auth.conf:/usr/local/etc/redis/infrakt-auth.conf:ro');
    expect(renderRedisAuth(PW).reveal()).toBe(`requirepass ${PW.reveal()}\n`);
  });
});

describe('.env and connection strings', () => {
  it('puts the password in the engine variable', () => {
    expect(renderDbEnv('postgres', 'mydb', PW).reveal()).toBe(
      `POSTGRES_USER=postgres\nPOSTGRES_PASSWORD=${PW.reveal()}\nPOSTGRES_DB=mydb\n`,
    );
    expect(renderDbEnv('mysql', 'mydb', PW).reveal()).toBe(`MYSQL_ROOT_PASSWORD=${PW.reveal()}\nMYSQL_DATABASE=mydb\n`);
    expect(renderDbEnv('redis', 'c', PW).reveal()).toBe(`REDISCLI_AUTH=${PW.reveal()}\n`);
    expect(renderDbEnv('mongo', 'm', PW).reveal()).toBe(
      `MONGO_INITDB_ROOT_USERNAME=root\nMONGO_INITDB_ROOT_PASSWORD=${PW.reveal()}\nMONGO_INITDB_DATABASE=m\n`,
    );
    expect(String(renderDbEnv('postgres', 'mydb', PW))).toBe('[redacted]');
  });
  it('gives the server-local and the in-network URL', () => {
    const p = PW.reveal();
    const pg = connectionStrings('postgres', 'mydb', PW, 21000);
    expect(pg.local.reveal()).toBe(`postgresql://postgres:${p}@127.0.0.1:21000/mydb`);
    expect(pg.network.reveal()).toBe(`postgresql://postgres:${p}@mydb:5432/mydb`);
    expect(connectionStrings('mysql', 'mydb', PW, 1).local.reveal()).toBe(`mysql://root:${p}@127.0.0.1:1/mydb`);
    expect(connectionStrings('redis', 'c', PW, 2).network.reveal()).toBe(`redis://:${p}@c:6379/0`);
    expect(connectionStrings('mongo', 'm', PW, 3).local.reveal()).toBe(
      `mongodb://root:${p}@127.0.0.1:3/m?authSource=admin`,
    );
    expect(JSON.stringify(pg)).not.toContain(p);
  });
  it('generates 192-bit URL-safe passwords', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword().reveal();
      expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});

describe('cron → OnCalendar', () => {
  const cases: [string, string][] = [
    ['0 3 * * *', '*-*-* 03:00:00'],
    ['*/15 * * * *', '*-*-* *:00,15,30,45:00'],
    ['30 2 * * 1-5', 'Mon,Tue,Wed,Thu,Fri *-*-* 02:30:00'],
    ['0 0 1 * *', '*-*-01 00:00:00'],
    ['0 4 * jan,jul sun', 'Sun *-01,07-* 04:00:00'],
    ['5 0-6/2 * * 7', 'Sun *-*-* 00,02,04,06:05:00'],
    ['@daily', '*-*-* 00:00:00'],
    ['@hourly', '*-*-* *:00:00'],
    ['* * * * *', '*-*-* *:*:00'],
  ];
  for (const [cron, cal] of cases) it(`${cron} → ${cal}`, () => expect(parseCron(cron).onCalendar).toBe(cal));

  const refused: [string, RegExp][] = [
    ['0 3 * *', /expected 5 fields/],
    ['60 * * * *', /minute 60 is outside 0-59/],
    ['0 24 * * *', /hour 24/],
    ['0 0 0 * *', /day of month 0/],
    ['0 0 L * *', /L, W, # or \?/],
    ['0 0 1 * mon', /either.*both/],
    ['@reboot', /no calendar equivalent/],
    ['0 0 * * 1#2', /L, W, # or \?/],
    ['5-1 * * * *', /backwards/],
    ['*/0 * * * *', /at least 1/],
    ['0 3 * * *; rm -rf /', /expected 5 fields|not a valid/],
  ];
  for (const [cron, re] of refused)
    it(`refuses ${JSON.stringify(cron)}`, () => {
      expect(() => parseCron(cron)).toThrow(re);
    });
});

describe('schedule units', () => {
  const i = { name: 'mydb', type: 'postgres' as const, root: '/opt/infrakt' };
  it('service + timer (Persistent) and the cron.d fallback run the same script', () => {
    expect(scheduleUnit('mydb', 'abcdef0123456789')).toBe('infrakt-backup-mydb-abcdef01');
    expect(renderServiceUnit(i, 7)).toContain('ExecStart=/bin/sh /opt/infrakt/backups/mydb/backup.sh schedule 7\n');
    const timer = renderTimerUnit('mydb', '*-*-* 03:00:00');
    expect(timer).toContain('OnCalendar=*-*-* 03:00:00\n');
    expect(timer).toContain('Persistent=true\n');
    expect(timer).toContain('WantedBy=timers.target\n');
    expect(renderCronFile(i, '0 3 * * *', 7)).toContain(
      '0 3 * * * root /bin/sh /opt/infrakt/backups/mydb/backup.sh schedule 7 >>/opt/infrakt/backups/mydb/cron.log 2>&1\n',
    );
  });
});

describe('scheduler detection', () => {
  it('one command: systemd as PID 1, else cron with /etc/cron.d, else none', () => {
    expect(render(detectScheduler())).toBe(
      "sh -c 'if [ -d /run/systemd/system ]; then echo systemd; elif [ -d /etc/cron.d ] && { command -v cron || command -v crond; } >/dev/null 2>&1; then echo cron; else echo none; fi'",
    );
  });
  it('reads its answer', () => {
    expect(parseScheduler('systemd\n')).toBe('systemd');
    expect(parseScheduler('cron\n')).toBe('cron');
    expect(parseScheduler('none\n')).toBeNull();
    expect(parseScheduler('')).toBeNull();
  });
});
