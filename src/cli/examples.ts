import type { Command } from 'commander';

// One or two examples per command, shown by `infrakt <cmd> --help` (Kamal, Heroku and gh all do this: an example
// answers "how do I call this" faster than the option list). Each line is `infrakt …` as typed, maybe with a
// `# comment`, a pipe into it or a redirection; test/unit/cli-examples.test.ts parses every one with the real
// parser, so an example that stops working fails the build.
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  init: ['infrakt init'],
  'server add': [
    'infrakt server add --name web-1 --host 203.0.113.10 --key ~/.ssh/id_ed25519',
    'infrakt server add --name edge-1 --edge --relay relay-1   # a device behind NAT',
  ],
  'server list': ['infrakt server list', 'infrakt server list --json'],
  'server show': ['infrakt server show web-1'],
  'server remove': ['infrakt server remove web-1', 'infrakt server remove web-1 --force   # even with apps on it'],
  'server provision': ['infrakt server provision web-1 --dry-run', 'infrakt server provision web-1'],
  'server test': ['infrakt server test web-1'],
  'server trust': ['infrakt server trust web-1 --fingerprint SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s'],
  'server status': ['infrakt server status web-1'],
  'server ssh': ['infrakt server ssh web-1', 'infrakt server ssh web-1 -- df -h'],
  'server exec': ['infrakt server exec --all -- uptime', 'infrakt server exec --server web-1,web-2 -- docker ps'],
  'server set': [
    'infrakt server set web-1 --acme-email ops@example.com',
    'infrakt server set web-1 --acme-ca https://ca.internal:9000/acme/acme/directory --acme-ca-root root.crt',
  ],
  'server update': ['infrakt server update web-1 --host 203.0.113.20', 'infrakt server update web-1 --key ~/.ssh/new'],
  'server create': [
    'infrakt server create --provider hetzner --name web-2 --type cx22 --location nbg1 --image debian-12 --provision',
  ],
  'server destroy': ['infrakt server destroy web-2'],
  'edge setup': ['infrakt edge setup --endpoint control.example.com:22'],
  'edge relay add': ['infrakt edge relay add --name relay-1 --host relay.example.com --user root'],
  'edge relay list': ['infrakt edge relay list'],
  'edge relay show': ['infrakt edge relay show relay-1'],
  'edge relay remove': ['infrakt edge relay remove relay-1'],
  'app create': [
    'infrakt app create --server web-1 --name api --image ghcr.io/acme/api:1.4 --port 8080 --domain api.example.com',
    'infrakt app create --server web-1 --name site --git git@github.com:acme/site.git --port 3000',
    'infrakt app create --cluster prod --name api --image ghcr.io/acme/api:1.4 --port 8080 --replicas 3',
  ],
  'app list': ['infrakt app list', 'infrakt app list --server web-1 --json'],
  'app scale': ['infrakt app scale api 5   # a cluster app: waits until all five run healthy'],
  'app ps': ['infrakt app ps api', 'infrakt app ps api --all   # ended tasks too'],
  'cluster create': [
    'infrakt cluster create prod --manager web-1 --workers web-2,web-3',
    'infrakt cluster create prod --manager web-1 --managers web-2,web-3 --workers web-4   # survives losing a manager',
    'infrakt cluster create prod --manager web-1 --encrypted',
  ],
  'cluster list': ['infrakt cluster list'],
  'cluster show': ['infrakt cluster show prod', 'infrakt cluster show prod --json'],
  'cluster add-node': ['infrakt cluster add-node prod web-4', 'infrakt cluster add-node prod web-5 --manager'],
  'cluster remove-node': ['infrakt cluster remove-node prod web-4   # drains it first'],
  'cluster destroy': ['infrakt cluster destroy prod'],
  'app show': ['infrakt app show api'],
  'app update': [
    'infrakt app update api --domain api.example.com --domain www.api.example.com --www-redirect on',
    'infrakt app update api --memory 512m --cpus 1.5 --volume data:/var/lib/api',
  ],
  'app deploy': ['infrakt app deploy api', 'infrakt app deploy api --local-image acme/api:dev   # no registry needed'],
  'app rollback': ['infrakt app rollback api', 'infrakt app rollback api --to 3'],
  'app deployments': ['infrakt app deployments api --limit 5'],
  'app deploy-key': ['infrakt app deploy-key site', 'infrakt app deploy-key site --rotate'],
  'app logs': ['infrakt app logs api --lines 200', 'infrakt app logs api -f'],
  'app start': ['infrakt app start api'],
  'app restart': ['infrakt app restart api'],
  'app stop': ['infrakt app stop api'],
  'app destroy': ['infrakt app destroy api', 'infrakt app destroy api --volumes -y   # its named volumes too'],
  'app forget': ['infrakt app forget api   # only the local record; the server is gone'],
  'app exec': ['infrakt app exec api -- ls -la /app', 'infrakt app exec api -i -- sh'],
  'app run': ['infrakt app run api -- npm run migrate'],
  'app shell': ['infrakt app shell api'],
  'app backup': ['infrakt app backup api', 'infrakt app backup api --target offsite --keep-daily 7'],
  'app backups': ['infrakt app backups api'],
  'app restore': ['infrakt app restore api 4f2a9c1e', 'infrakt app restore api 4f2a9c1e --from-target offsite -y'],
  'app webhook enable': ['infrakt app webhook enable site --branch main --base-url https://infrakt.example.com'],
  'app webhook show': ['infrakt app webhook show site', 'infrakt app webhook show site --reveal   # prints the secret'],
  'app webhook rotate': ['infrakt app webhook rotate site'],
  'app webhook disable': ['infrakt app webhook disable site'],
  'app webhook deliveries': ['infrakt app webhook deliveries site --limit 10'],
  'app previews': [
    'infrakt app previews site --enable --domain preview.example.com --max 3',
    'infrakt app previews site --disable',
  ],
  'env set': ['infrakt env set api LOG_LEVEL=debug PORT=8080'],
  'env get': ['infrakt env get api DATABASE_URL'],
  'env list': ['infrakt env list api', 'infrakt env list api --show-values'],
  'env delete': ['infrakt env delete api LOG_LEVEL'],
  'env import': ['infrakt env import api .env', 'infrakt env import api .env.production --replace'],
  'env export': ['infrakt env export api -o api.env', 'infrakt env export api -y > api.env'],
  'env push': ['infrakt env push api'],
  'db create': [
    'infrakt db create --server web-1 --name pg --type postgres --save-to-env api',
    'infrakt db create --server web-1 --name cache --type redis --version 7',
  ],
  'db list': ['infrakt db list'],
  'db show': ['infrakt db show pg'],
  'db destroy': ['infrakt db destroy pg'],
  'db backup': ['infrakt db backup pg', 'infrakt db backup pg --schedule "0 3 * * *" --keep 14'],
  'db backups': ['infrakt db backups pg'],
  'db restore': ['infrakt db restore pg', 'infrakt db restore pg --from-target offsite -y'],
  'cron add': [
    'infrakt cron add api --name cleanup --schedule "*/15 * * * *" -- node scripts/cleanup.js',
    'infrakt cron add api --name report --schedule "0 6 * * 1" --timeout 600 -- ./report.sh',
  ],
  'cron list': ['infrakt cron list', 'infrakt cron list --app api'],
  'cron run': ['infrakt cron run cleanup'],
  'cron remove': ['infrakt cron remove cleanup --app api'],
  'backup-target add': [
    'infrakt backup-target add offsite --sftp backup@nas.example.com:/srv/restic',
    'infrakt backup-target add s3 --s3 https://s3.example.com/bucket/infrakt --access-key-id AKIAEXAMPLE < secret-key.txt',
  ],
  'backup-target list': ['infrakt backup-target list'],
  'backup-target show': ['infrakt backup-target show offsite'],
  'backup-target test': ['infrakt backup-target test offsite --server web-1'],
  'backup-target verify': ['infrakt backup-target verify offsite --read-data-subset 5%'],
  'backup-target password': ['infrakt backup-target password offsite   # keep it somewhere safe'],
  'backup-target remove': ['infrakt backup-target remove offsite'],
  'proxy setup': ['infrakt proxy setup web-1'],
  'proxy add': ['infrakt proxy add grafana.example.com --server web-1 --port 3000'],
  'proxy remove': ['infrakt proxy remove grafana.example.com --server web-1'],
  'proxy domains': ['infrakt proxy domains web-1'],
  'proxy status': ['infrakt proxy status web-1   # certificates: issuer and expiry'],
  'proxy reload': ['infrakt proxy reload web-1'],
  'registry add': [
    'infrakt registry add ghcr.io --server web-1 --username acme-bot',
    'printf %s "$GHCR_TOKEN" | infrakt registry add ghcr.io --server web-1 --username acme-bot',
  ],
  'registry list': ['infrakt registry list --server web-1'],
  'registry remove': ['infrakt registry remove ghcr.io --server web-1'],
  'catalog list': ['infrakt catalog list', 'infrakt catalog list --category monitoring'],
  'catalog show': ['infrakt catalog show uptime-kuma'],
  'catalog schema': ['infrakt catalog schema > manifest.schema.json'],
  'catalog validate': ['infrakt catalog validate ./my-catalog'],
  'catalog installed': ['infrakt catalog installed --server web-1'],
  'catalog install': [
    'infrakt catalog install uptime-kuma --server web-1 --domain status.example.com',
    'infrakt catalog install ghost --server web-1 --set url=https://blog.example.com --yes',
  ],
  'catalog upgrade': [
    'infrakt catalog upgrade uptime-kuma',
    'infrakt catalog upgrade ghost --to 5.2.0',
    'infrakt catalog upgrade ghost --domain blog.example.com   # or --no-domain',
  ],
  'catalog uninstall': [
    'infrakt catalog uninstall node-exporter --server web-1',
    'infrakt catalog uninstall ghost --yes   # its named volumes are kept; --volumes removes them',
  ],
  'catalog outputs': ['infrakt catalog outputs ghost', 'infrakt catalog outputs ghost --reveal   # secret values too'],
  'catalog stack list': ['infrakt catalog stack list'],
  'catalog stack install': ['infrakt catalog stack install monitoring --server web-1 --yes'],
  'user add': [
    'infrakt user add alice --role deployer',
    'infrakt user add bob --role viewer --servers web-1,web-2   # limited to two servers',
  ],
  'user list': ['infrakt user list'],
  'user set': ['infrakt user set alice --role admin', 'infrakt user set bob --servers all'],
  'user passwd': ['infrakt user passwd alice'],
  'user remove': ['infrakt user remove bob --yes'],
  'oidc add': [
    'infrakt oidc add corp --issuer https://login.example.com --client-id infrakt   # asks for the client secret',
    'printf %s "$SECRET" | infrakt oidc add corp --issuer https://login.example.com --client-id infrakt --allow @example.com=viewer',
    'infrakt oidc add github --github --client-id Iv1.0123456789abcdef',
  ],
  'oidc list': ['infrakt oidc list', 'infrakt oidc list --json'],
  'oidc remove': ['infrakt oidc remove corp --yes'],
  'token create': [
    'infrakt token create --name ci --scope deploy --app api --expires 90d',
    'infrakt token create --name grafana --scope read',
  ],
  'token list': ['infrakt token list'],
  'token revoke': ['infrakt token revoke ci'],
  'audit list': ['infrakt audit list --actor alice --since 2026-11-01T00:00:00Z', 'infrakt audit list --target api'],
  'audit verify': ['infrakt audit verify'],
  'approval list': ['infrakt approval list', 'infrakt approval list --all'],
  'approval show': ['infrakt approval show j_7f3a'],
  'approval approve': ['infrakt approval approve j_7f3a --comment "checked the diff"'],
  'approval reject': ['infrakt approval reject j_7f3a --comment "not during the sale"'],
  'policy set': ['infrakt policy set app.deploy --server-label env=prod', 'infrakt policy set server.remove'],
  'policy list': ['infrakt policy list'],
  'policy unset': ['infrakt policy unset app.deploy --server-label env=prod'],
  'job list': ['infrakt job list', 'infrakt job list --status failed --app api'],
  'job show': ['infrakt job show last', 'infrakt job show j_mig3   # any unique start of an id'],
  'job logs': ['infrakt job logs last', 'infrakt job logs -f j_mig3'],
  'job cancel': ['infrakt job cancel last'],
  'lock list': ['infrakt lock list', 'infrakt lock list --server web-1'],
  'lock break': ['infrakt lock break app:7   # the name as lock list shows it'],
  completion: [
    'source <(infrakt completion bash)   # in ~/.bashrc',
    'infrakt completion fish > ~/.config/fish/completions/infrakt.fish',
  ],
  'monitor status': ['infrakt monitor status', 'infrakt monitor status --hours 72'],
  'monitor app': ['infrakt monitor app api --hours 24'],
  'monitor server': ['infrakt monitor server web-1'],
  'notify add': [
    'infrakt notify add ops --type slack --url https://hooks.slack.com/services/T000/B000/XXXX',
    'infrakt notify add mail --type email --smtp-host smtp.example.com --from infrakt@example.com --to ops@example.com',
  ],
  'notify list': ['infrakt notify list'],
  'notify test': ['infrakt notify test ops'],
  'notify remove': ['infrakt notify remove ops'],
  'notify deliveries': ['infrakt notify deliveries --channel ops --limit 20'],
  'secret set': ['infrakt secret set db-password', 'infrakt secret set db-password < password.txt'],
  'secret list': ['infrakt secret list'],
  'secret get': ['infrakt secret get db-password'],
  'secret delete': ['infrakt secret delete db-password'],
  'provider add': ['infrakt provider add hetzner --name hetzner < token.txt'],
  'provider list': ['infrakt provider list'],
  'provider remove': ['infrakt provider remove hetzner'],
  plan: ['infrakt plan', 'infrakt plan -f fleet.yaml --prune'],
  apply: ['infrakt apply', 'infrakt apply -f fleet.yaml -y'],
  export: ['infrakt export -o infrakt.yaml'],
  schema: ['infrakt schema inventory > infrakt.schema.json'],
  mcp: ['infrakt mcp', 'infrakt mcp --allow-writes'],
  serve: ['infrakt serve', 'infrakt serve --host 0.0.0.0 --port 8080 --trust-proxy'],
  'api-key show': ['infrakt api-key show'],
  'api-key rotate': ['infrakt api-key rotate'],
};

/** Every command with no subcommands, by its path (`app webhook show`). */
export function leafCommands(program: Command): Map<string, Command> {
  const out = new Map<string, Command>();
  const walk = (c: Command, path: string[]) => {
    if (c.commands.length === 0 && path.length > 0) out.set(path.join(' '), c);
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  return out;
}

/**
 * Adds the Examples section to every command's help, and marks required options `(required)` (commander lists
 * them among the optional ones otherwise).
 */
export function addHelpExamples(program: Command): void {
  for (const [path, cmd] of leafCommands(program)) {
    for (const o of cmd.options) {
      if (o.mandatory && !o.description.endsWith('(required)')) o.description = `${o.description} (required)`;
    }
    const examples = EXAMPLES[path];
    if (examples?.length) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
  }
}
