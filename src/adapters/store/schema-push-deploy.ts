import type { Generated, Selectable } from 'kysely';

/** Tables of migration 0007 (webhooks, polling, previews, monitoring, notifications). */

export interface WebhooksTable {
  app_id: number;
  /** Random id in the delivery URL (`/api/webhooks/<hook_id>`): says nothing about the app. */
  hook_id: string;
  /** Sealed under the master key (purpose `webhook:<app id>`). */
  secret_enc: string;
  /** Branch whose pushes deploy; null = the app's branch. */
  branch: string | null;
  created_at: string;
  rotated_at: string | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  app_id: number;
  provider: string;
  delivery_id: string | null;
  body_sha256: string | null;
  event: string | null;
  ref: string | null;
  commit_sha: string | null;
  pr_number: number | null;
  /** queued | ignored | rejected | duplicate | rate_limited | failed */
  outcome: string;
  reason: string | null;
  job_id: string | null;
  remote_addr: string | null;
  received_at: string;
}

export interface AppPollsTable {
  app_id: number;
  interval_s: number;
  /** Last commit id (git) or image digest seen at the source. */
  last_seen: string | null;
  /** The last source revision a deploy was started for (never started twice). */
  last_started: string | null;
  last_job_id: string | null;
  last_checked_at: string | null;
  next_check_at: string;
  last_error: string | null;
  created_at: string;
}

export interface PreviewSettingsTable {
  app_id: number;
  /** Previews are served at `pr-<n>.<domain>`. */
  domain: string;
  max_previews: number;
  created_at: string;
  updated_at: string;
}

export interface PreviewEnvTable {
  app_id: number;
  key: string;
  /** Sealed (purpose `preview-env:<app id>:<key>`). */
  value_enc: string;
  updated_at: string;
}

export interface PreviewsTable {
  id: Generated<number>;
  parent_app_id: number;
  pr_number: number;
  /** The preview's own app (`<app>-pr-<n>`); null once destroyed. */
  app_id: number | null;
  head_sha: string;
  head_ref: string | null;
  /** deploying | running | failed | closing */
  status: string;
  job_id: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface MonitorStatesTable {
  id: Generated<number>;
  app_id: number | null;
  server_id: number | null;
  state: 'unknown' | 'up' | 'down';
  /** Consecutive results that disagree with `state` (flap damping). */
  streak: number;
  changed_at: string | null;
  checked_at: string | null;
  last_error: string | null;
  /** Threshold alarms currently raised, e.g. `{"disk":true}`. */
  alarms_json: string;
}

export interface HealthSamplesTable {
  id: Generated<number>;
  app_id: number | null;
  server_id: number | null;
  ts: string;
  ok: number;
  response_ms: number | null;
  status_code: number | null;
  error: string | null;
}

export interface ServerMetricsTable {
  id: Generated<number>;
  server_id: number;
  ts: string;
  cpu_pct: number | null;
  load1: number | null;
  mem_used: number | null;
  mem_total: number | null;
  disk_used: number | null;
  disk_total: number | null;
  containers: number | null;
}

export interface NotifyChannelsTable {
  id: Generated<number>;
  name: string;
  type: 'webhook' | 'slack' | 'discord' | 'email';
  /** Non-secret settings (SMTP host, port, from, to, TLS mode). */
  config_json: string;
  /** Sealed JSON of the secret settings (URLs with tokens, signing secret, SMTP password). */
  secret_enc: string;
  /** Event types this channel receives. */
  events_json: string;
  created_at: string;
  updated_at: string;
}

export interface NotifyEventsTable {
  id: Generated<number>;
  type: string;
  subject: string;
  /** Never a secret: job errors are the redacted ones stored on the job. */
  payload_json: string;
  ts: string;
}

export interface NotifyDeliveriesTable {
  id: Generated<number>;
  event_id: number;
  channel_id: number;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  claimed_by: string | null;
  claimed_at: string | null;
  last_error: string | null;
  response_code: number | null;
  delivered_at: string | null;
  created_at: string;
}

export interface PushDeployTables {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  app_polls: AppPollsTable;
  preview_settings: PreviewSettingsTable;
  preview_env: PreviewEnvTable;
  previews: PreviewsTable;
  monitor_states: MonitorStatesTable;
  health_samples: HealthSamplesTable;
  server_metrics: ServerMetricsTable;
  notify_channels: NotifyChannelsTable;
  notify_events: NotifyEventsTable;
  notify_deliveries: NotifyDeliveriesTable;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AppPollRow = Selectable<AppPollsTable>;
export type PreviewRow = Selectable<PreviewsTable>;
export type PreviewSettingsRow = Selectable<PreviewSettingsTable>;
export type MonitorStateRow = Selectable<MonitorStatesTable>;
export type NotifyChannelRow = Selectable<NotifyChannelsTable>;
export type NotifyDeliveryRow = Selectable<NotifyDeliveriesTable>;
