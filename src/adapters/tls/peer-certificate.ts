import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';

export interface PeerCertificate {
  readonly subject: string;
  readonly issuer: string;
  /** ISO-8601. */
  readonly notBefore: string;
  readonly notAfter: string;
}

const name = (o: Record<string, unknown> | undefined): string => {
  if (!o) return '';
  const cn = typeof o.CN === 'string' ? o.CN : '';
  const org = typeof o.O === 'string' ? o.O : '';
  return cn || org;
};

/**
 * The certificate a TLS server presents for `servername`, over a stream the caller opened (e.g. a TCP
 * stream through the server's SSH connection to its Caddy): what is really served, not what is on disk.
 * Not verified here — the caller reports issuer and expiry.
 */
export function peerCertificate(socket: Duplex, servername: string, timeoutMs = 10_000): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const tls = connect({ socket, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      const c = tls.getPeerCertificate();
      tls.destroy();
      if (!c?.valid_to) return reject(new Error('no certificate presented'));
      resolve({
        subject: name(c.subject as unknown as Record<string, unknown>),
        issuer: name(c.issuer as unknown as Record<string, unknown>),
        notBefore: new Date(c.valid_from).toISOString(),
        notAfter: new Date(c.valid_to).toISOString(),
      });
    });
    tls.once('error', (e) => {
      clearTimeout(timer);
      tls.destroy();
      reject(e);
    });
  });
}
