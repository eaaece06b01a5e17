import { initial } from './0001-initial.js';
import { jobHeartbeat } from './0005-job-heartbeat.js';
import { catalogHostInstalls } from './0006-catalog-host-installs.js';
import { fleet } from './0007-fleet.js';
import { backupTargets } from './0008-backup-targets.js';
import { jobMeasures } from './0009-job-measures.js';
import { pushDeploy } from './0010-push-deploy.js';
import { edge } from './0011-edge.js';
import { cronTasks } from './0012-cron-tasks.js';
import { serverFacts } from './0013-server-facts.js';
import { appDomains } from './0014-app-domains.js';
import { registries } from './0015-registries.js';
import { clusters } from './0016-clusters.js';
import { teams } from './0017-teams.js';
import { hostInstallValues } from './0018-host-install-values.js';
import { appPrivileges } from './0019-app-privileges.js';
import type { Migration } from './types.js';

/** Every migration, in order. Add new ones at the end with a higher version. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  jobHeartbeat,
  catalogHostInstalls,
  fleet,
  backupTargets,
  jobMeasures,
  pushDeploy,
  edge,
  cronTasks,
  serverFacts,
  appDomains,
  registries,
  clusters,
  teams,
  hostInstallValues,
  appPrivileges,
];
