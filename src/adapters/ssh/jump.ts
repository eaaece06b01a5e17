import type { Socket } from 'node:net';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import type { EarlySocket } from './preconnect.js';
import type { SshExecutor } from './ssh-executor.js';

/**
 * ProxyJump, the ssh2 way: a first connection to a relay (its own pinned host key, its own login) opens a
 * `direct-tcpip` channel to `127.0.0.1:port` on the relay, and that channel becomes the socket of a second
 * connection to the device behind it. The device's host key is then verified over the channel like any other
 * server's: the relay only carries encrypted bytes and cannot present the device's key. The relay connection
 * ends when the channel closes.
 */
export async function jumpSocket(
  openRelay: () => Promise<SshExecutor>,
  port: number,
  names: { readonly relay: string; readonly server: string },
): Promise<EarlySocket> {
  const relay = await openRelay();
  let sock: Awaited<ReturnType<SshExecutor['connectTcp']>>;
  try {
    sock = await relay.connectTcp(port, '127.0.0.1');
  } catch (e) {
    await relay.close();
    const why = isInfraktError(e) ? e.message : String(e);
    throw new InfraktError(
      'SSH_UNREACHABLE',
      `cannot reach ${names.server} through relay ${names.relay}: nothing answers on its 127.0.0.1:${port} (${why})`,
      { hint: "the device's tunnel to the relay is not up", details: { relay: names.relay, port }, cause: e },
    );
  }
  sock.once('close', () => void relay.close());
  // openSsh takes it like the CLI's early TCP socket: ssh2 and the executor use only its stream side
  // (write, end, destroy, 'finish'/'close'), which a channel has too.
  return { socket: sock as unknown as Socket, error: () => null };
}
