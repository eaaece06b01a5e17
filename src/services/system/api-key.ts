import { ensureHome, type Paths } from '../../adapters/local/home.js';
import { ensureApiKey, loadApiKey, rotateApiKey as replaceApiKey } from '../../adapters/secrets/api-key.js';

/*
 * The HTTP API key in $INFRAKT_HOME/api_key. Like init, these work on the local state directory itself (no Ctx):
 * `infrakt api-key` needs neither the database nor a server.
 */

/** `api-key show`: the key, created on first use. */
export function showApiKey(paths: Paths): { key: string; file: string; created: boolean } {
  ensureHome(paths);
  const { key, created } = ensureApiKey(paths.apiKey);
  return { key, file: paths.apiKey, created };
}

/** `api-key rotate`: a new key; a running `infrakt serve` accepts only it from its next request. */
export function rotateApiKey(paths: Paths): { key: string; file: string } {
  ensureHome(paths);
  return { key: replaceApiKey(paths.apiKey), file: paths.apiKey };
}

/** The current key (`infrakt serve` shows it once, when its start created it). */
export function currentApiKey(paths: Paths): string {
  return loadApiKey(paths.apiKey);
}
