import { fieldError, type LoadedInventory } from '../../core/inventory/load.js';
import type { EdgeSpec, ServerSpec, ServerState } from '../../core/inventory/model.js';

const describe = (e: EdgeSpec) =>
  `${e.relay ? `relay ${e.relay}` : 'this control host'}, device port ${e.devicePort}, host key ${e.hostKey.slice(0, 40)}…`;

/**
 * Edge servers in a file must be the ones registered here, as they are: apply cannot create an edge server's
 * tunnel or change it (the device holds keys made for that one registration and runs its bootstrap script), so a
 * plan that would need to is refused before anything runs, at the line of the file. `infrakt export` writes them.
 */
export function checkEdgeServers(
  loaded: LoadedInventory,
  want: readonly ServerSpec[],
  have: readonly ServerState[],
): void {
  const haveByName = new Map(have.map((s) => [s.name, s]));
  for (const w of want) {
    const h = haveByName.get(w.name);
    const at = ['servers', w.name];
    if (w.edge && !h) {
      throw fieldError(
        loaded,
        [...at, 'edge'],
        `edge server '${w.name}' is not registered here: apply does not create edge servers`,
        `register it with: infrakt server add --name ${w.name} --edge${w.edge.relay ? ` --relay ${w.edge.relay}` : ''} (the device runs the bootstrap script it prints), then write what infrakt export shows`,
      );
    }
    if (w.edge && h && !h.edge) {
      throw fieldError(
        loaded,
        [...at, 'edge'],
        `server '${w.name}' is registered here at ${h.host}:${h.port}, not as an edge server`,
        'declare it with host: as infrakt export writes it, or remove it and add it again with server add --edge',
      );
    }
    if (!w.edge && h?.edge) {
      throw fieldError(
        loaded,
        at,
        `server '${w.name}' is an edge server here (${describe(h.edge)}): declare it with edge:`,
        'infrakt export writes it as it is registered',
      );
    }
    if (w.edge && h?.edge) {
      const differ = (['relay', 'devicePort', 'hostKey'] as const).find((k) => w.edge?.[k] !== h.edge?.[k]);
      if (differ) {
        throw fieldError(
          loaded,
          [...at, 'edge', differ],
          `edge server '${w.name}': edge.${differ} differs from its registration (${describe(h.edge)})`,
          `an edge server's tunnel is fixed when it is added: infrakt server remove ${w.name}, then server add --edge and run the new bootstrap script on the device`,
        );
      }
    }
  }
}
