import { InfraktError } from '../../core/errors.js';

export interface SmtpSettings {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user?: string | undefined;
  password?: string | undefined;
  ca?: string | undefined;
}

export interface MailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
}

/**
 * Sends one message through the SMTP server (nodemailer, loaded only when mail is sent). `starttls` refuses a
 * server that does not offer STARTTLS rather than sending the password in clear; certificates are verified
 * against the system CAs, or the channel's own CA.
 */
export async function sendMail(s: SmtpSettings, msg: MailMessage, timeoutMs: number): Promise<{ response: string }> {
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(s.ca ? { ca: s.ca } : {}) },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({ from: msg.from, to: [...msg.to], subject: msg.subject, text: msg.text });
    return { response: String(info.response ?? '') };
  } catch (e) {
    const err = e as Error & { responseCode?: number; code?: string };
    const why = err.responseCode ? `${err.responseCode} ${err.message}` : `${err.code ?? 'error'}: ${err.message}`;
    throw new InfraktError('COMMAND_FAILED', `SMTP delivery via ${s.host}:${s.port} failed: ${why}`);
  } finally {
    transport.close();
  }
}
