import type { Command } from 'commander';
import { registerInventoryCommands } from './inventory.js';
import { registerMcpCommand } from './mcp.js';
import { registerProviderCommands, registerServerCloudCommands } from './provider.js';
import { registerSecretCommands } from './secret.js';

/** Fleet as code (issue 14): inventory plan/apply/export/schema, secrets, cloud providers, MCP. */
export function registerFleetCommands(program: Command, servers: Command): void {
  registerServerCloudCommands(servers);
  registerSecretCommands(
    program.command('secret').description('named secrets: referenced as secret:NAME in env and infrakt.yaml'),
  );
  registerProviderCommands(
    program.command('provider').description('cloud provider accounts (API tokens stored encrypted)'),
  );
  registerInventoryCommands(program);
  registerMcpCommand(program);
}
