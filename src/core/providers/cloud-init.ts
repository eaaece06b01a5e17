import { stringify } from 'yaml';
import { Secret } from '../secret.js';

/**
 * cloud-init user data that installs a host key infrakt generated, so the key is known — and pinned — before
 * the first connection: no trust on first use for servers infrakt creates. `ssh_deletekeys` drops the image's
 * keys and `ssh_genkeytypes: []` stops cloud-init from making others, so the server presents only this one.
 * Rendered with a YAML serializer (the key is data, never pasted into text).
 */
export function hostKeyUserData(hostKey: { privateKey: Secret; publicKey: string }): Secret {
  const doc = {
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: hostKey.privateKey.reveal(),
      ed25519_public: hostKey.publicKey,
    },
    ssh_pwauth: false,
  };
  return new Secret(`#cloud-config\n${stringify(doc)}`);
}

/** The OpenSSH public key line without its comment: `<type> <base64>`, as the servers table pins it. */
export const keyLine = (publicKey: string): string => publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
