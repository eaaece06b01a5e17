import { privilegedComposeFields } from '../../core/compose-privileges.js';
import { InfraktError } from '../../core/errors.js';
import { parseComposeFile } from '../../core/plans/deploy-compose.js';
import { isAdmin, principalOf } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';

/**
 * A compose file from someone below admin may not ask for what gives root on the server (privileged, capabilities,
 * host namespaces, devices, the Docker socket, host bind mounts): refused before anything is stored, naming the
 * field. Admins (and the owner / local CLI) may set such a file for an app.
 */
export function assertComposeAllowed(ctx: Ctx, content: string): void {
  if (isAdmin(ctx)) return;
  const fields = privilegedComposeFields(parseComposeFile(content));
  if (fields.length === 0) return;
  const p = principalOf(ctx);
  throw new InfraktError(
    'FORBIDDEN',
    `${p.name} may not set ${fields[0]} in a compose file: it gives root on the server${
      fields.length > 1 ? ` (also: ${fields.slice(1).join(', ')})` : ''
    }`,
    {
      hint: 'remove it, or ask an admin to set this compose file for the app',
      details: { fields, need: 'admin', have: p.level },
    },
  );
}
