import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { setServerSettings } from '../../services/servers/settings.js';
import { withCtx } from '../context.js';
import { intOption, noneToNull } from '../options.js';
import { c, printJson, success } from '../output.js';

/** `server set <name> --proxy-…`: per-server proxy settings (tests and private networks move ports / TLS). */
export function registerServerSet(server: Command): void {
  server
    .command('set <name>')
    .description("change a server's proxy settings and image pull policy (applied by the next deploy / proxy reload)")
    .option('--proxy-tls <mode>', 'auto (ACME), internal (local CA) or off (HTTP only)')
    .option('--proxy-http-port <port>', 'port Caddy serves HTTP on', intOption)
    .option('--proxy-https-port <port>', 'port Caddy serves HTTPS on', intOption)
    .option('--proxy-admin <address>', 'Caddy admin address on the server loopback, e.g. localhost:2019')
    .option('--pull-policy <policy>', 'missing (pull images not on the server) or never (fail instead)')
    .option('--acme-email <email>', 'contact e-mail of the ACME account (Let’s Encrypt expiry notices; none: remove)')
    .option('--acme-ca <url>', 'ACME directory of a private CA, e.g. step-ca (none: back to Let’s Encrypt)')
    .option('--acme-ca-root <file>', 'PEM root certificate the private ACME CA’s server uses (none: remove)')
    .option('--allow-private-git <on|off>', 'accept git hosts on private networks (self-hosted GitLab, Gitea …)')
    .option('--json', 'print the settings as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const caRoot = o.acmeCaRoot === undefined ? undefined : readPem(o.acmeCaRoot);
        const acmeGiven = o.acmeEmail !== undefined || o.acmeCa !== undefined || caRoot !== undefined;
        const r = await setServerSettings(ctx, name, {
          proxy: {
            ...(o.proxyTls !== undefined ? { tls: o.proxyTls } : {}),
            ...(o.proxyHttpPort !== undefined ? { httpPort: o.proxyHttpPort } : {}),
            ...(o.proxyHttpsPort !== undefined ? { httpsPort: o.proxyHttpsPort } : {}),
            ...(o.proxyAdmin !== undefined ? { adminAddress: o.proxyAdmin } : {}),
          },
          pull: o.pullPolicy,
          acme: acmeGiven ? { email: noneToNull(o.acmeEmail), ca: noneToNull(o.acmeCa), caRoot } : undefined,
          allowPrivateGit: o.allowPrivateGit,
        });
        const { proxy, acme } = r;
        if (o.json) return printJson(r);
        success(
          `proxy of ${c.bold(name)}: tls ${proxy.tls}, http ${proxy.httpPort}, https ${proxy.httpsPort}, admin ${proxy.adminAddress}`,
        );
        if (acmeGiven && acme)
          success(
            `certificates: ${acme.ca ?? 'Let’s Encrypt / ZeroSSL'}${acme.email ? `, contact ${acme.email}` : ''}${acme.caRoot ? ', own CA root' : ''} (applied by the next proxy reload or deploy)`,
          );
      });
    });
}

function readPem(path: string): string | null {
  if (path.trim().toLowerCase() === 'none') return null;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InfraktError(
      'VALIDATION',
      `cannot read --acme-ca-root ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}
