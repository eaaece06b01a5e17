// The host's `mariadb` client against a database infrakt printed a connection string for (password via MYSQL_PWD in
// the client's environment, never argv), and a row fingerprint to compare data before and after a restore.
import { run } from '../harness/docker.js';

export function mariadbClient(connectionString: () => string) {
  const sql = async (query: string) => {
    const u = new URL(connectionString());
    const r = await run(
      'mariadb',
      [
        '--protocol=TCP',
        '-h',
        u.hostname,
        '-P',
        u.port,
        '-u',
        decodeURIComponent(u.username),
        '-N',
        '-B',
        '-e',
        query,
        u.pathname.slice(1),
      ],
      { env: { ...process.env, MYSQL_PWD: decodeURIComponent(u.password) } },
    );
    return r.stdout.trim();
  };
  return {
    sql,
    fingerprint: () =>
      sql("SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(id, '=', v ORDER BY id SEPARATOR ','))) FROM items"),
  };
}
