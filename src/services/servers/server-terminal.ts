import type { PtySession } from '../../core/executor.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { getServerRow } from './servers.js';

/**
 * A login shell on a server over a pty (the dashboard's server terminal), checked locally first: `open` makes
 * one connection, closed when the shell ends or the session is hung up. The host key is verified as for every
 * operation.
 */
export async function prepareServerTerminal(
  ctx: Ctx,
  name: string,
): Promise<{
  title: string;
  open(size: { cols: number; rows: number; signal?: AbortSignal }): Promise<{ session: PtySession; title: string }>;
}> {
  const server = await getServerRow(ctx, name);
  const title = `${server.user}@${server.name}`;
  return {
    title,
    async open(size) {
      const ex = await ctx.connect(server, size.signal ? { signal: size.signal } : {});
      let session: PtySession;
      try {
        session = await ex.pty(null, { cols: size.cols, rows: size.rows });
      } catch (e) {
        await ex.close();
        throw e;
      }
      void session.exited.finally(() => ex.close());
      await audit(ctx, 'server.shell', server.name, {});
      return { session, title: `${title} (${ex.target})` };
    },
  };
}
