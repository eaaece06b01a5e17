import type { Command } from 'commander';
import { setProxySettings, setPullPolicy } from '../../services/servers/settings.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
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
    .option('--json', 'print the settings as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const pull = o.pullPolicy !== undefined ? await setPullPolicy(ctx, name, o.pullPolicy) : undefined;
        const proxy = await setProxySettings(ctx, name, {
          ...(o.proxyTls !== undefined ? { tls: o.proxyTls } : {}),
          ...(o.proxyHttpPort !== undefined ? { httpPort: o.proxyHttpPort } : {}),
          ...(o.proxyHttpsPort !== undefined ? { httpsPort: o.proxyHttpsPort } : {}),
          ...(o.proxyAdmin !== undefined ? { adminAddress: o.proxyAdmin } : {}),
        });
        if (o.json) return printJson({ server: name, proxy, pull });
        success(
          `proxy of ${c.bold(name)}: tls ${proxy.tls}, http ${proxy.httpPort}, https ${proxy.httpsPort}, admin ${proxy.adminAddress}`,
        );
      });
    });
}
