import type { Migration } from './types.js';

/**
 * Every input value of a host install's last run (secret ones too), sealed under the master key: infrakt.yaml
 * compares the file's inputs with them by hash, a reinstall keeps the inputs the file does not give (and the
 * generated secrets), and uninstall.sh gets the values the install had.
 */
export const hostInstallValues: Migration = {
  version: 18,
  name: 'host-install-values',
  sql: `ALTER TABLE catalog_host_installs ADD COLUMN values_sealed TEXT;`,
};
