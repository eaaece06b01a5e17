// A TCP relay on loopback that delays every byte by DELAY ms in each direction (a WAN's latency,
// not its bandwidth or loss), for machines whose kernel has no `tc netem` (see _wan.mjs). Runs as
// its own process so benches can block in spawnSync while it forwards.
//
//   node bench/_delay-relay.mjs <delayMs> <logFile> <targetPort>...   prints {"<target>": <listenPort>, ...}
//
// When a connection ends it appends `<targetPort> <turns>` to logFile: the times the data flow
// changed direction, so turns / 2 is the number of sequential round trips the connection waited for
// (the SSH handshake included; concurrent channels blur it a little).
//
// Traffic: accepts on 127.0.0.1 and connects only to 127.0.0.1:<targetPort>. A new connection
// reaches the target one delay later (the SYN's trip); the TCP handshake so costs one round trip, as
// on a real link. Exits when its stdin closes (the bench ended or died).
import { appendFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';

const delayMs = Number(process.argv[2]);
const logFile = process.argv[3];
const targets = process.argv.slice(4).map(Number);
if (!(delayMs >= 0) || !logFile || targets.length === 0 || targets.some((p) => !(p > 0 && p < 65536))) {
  process.stderr.write('usage: _delay-relay.mjs <delayMs> <logFile> <targetPort>...\n');
  process.exit(2);
}

/** Forwards chunks from `from` to `to`, each `delayMs` after it arrived, in order. */
function delayedPipe(from, to, ready, onData) {
  const queue = [];
  let timer = null;
  let ended = false;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].at <= now) {
      const item = queue.shift();
      if (item.end) to.end();
      else to.write(item.data);
    }
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
  };
  const push = (item) => {
    queue.push({ ...item, at: performance.now() + delayMs });
    if (!timer && ready()) timer = setTimeout(flush, delayMs);
  };
  from.on('data', (data) => {
    onData();
    push({ data });
  });
  from.on('end', () => {
    if (!ended) push({ end: true });
    ended = true;
  });
  return { start: () => flush() };
}

const servers = [];
const ports = {};
for (const target of targets) {
  const server = createServer((client) => {
    client.setNoDelay(true);
    let upstream = null;
    let turns = 0;
    let last = null;
    const turn = (dir) => () => {
      if (last !== dir) turns++;
      last = dir;
    };
    const toServer = delayedPipe(
      client,
      { write: (d) => upstream.write(d), end: () => upstream.end() },
      () => upstream?.connecting === false,
      turn('up'),
    );
    const kill = () => {
      client.destroy();
      upstream?.destroy();
    };
    client.on('error', kill);
    client.on('close', () => {
      appendFileSync(logFile, `${target} ${turns}\n`);
      setTimeout(() => upstream?.destroy(), delayMs + 50);
    });
    // The SYN's trip: the server sees the connection one delay after the client opened it.
    setTimeout(() => {
      if (client.destroyed) return;
      upstream = tcpConnect({ host: '127.0.0.1', port: target, noDelay: true });
      upstream.on('error', kill);
      upstream.on('close', () => setTimeout(() => client.destroy(), delayMs + 50));
      upstream.once('connect', () => toServer.start());
      delayedPipe(upstream, client, () => true, turn('down'));
    }, delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports[target] = server.address().port;
  servers.push(server);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
