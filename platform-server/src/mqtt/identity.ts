/**
 * Who a broker client is. Over TLS the verified client certificate decides: OU gives the role
 * ('device' or 'platform', pki/certificates.ts) and CN the id. On the plain listener the username
 * and password decide, checked by the injected PasswordCheck (a development convenience; see
 * platform-server/README.md). A device's MQTT client id must equal its device id, so no client can
 * take over another device's persistent session.
 */
import { TLSSocket } from 'node:tls';
import type { BrokerIdentity } from './acl';
import type { CheckLimiter } from './check-limiter';
import { isValidDeviceId } from '../../../contracts/device-id';

/** Checks a user name and password (may run off the event loop: a slow hash is expected). */
export type PasswordCheck = (username: string, password: Buffer) => BrokerIdentity | null | Promise<BrokerIdentity | null>;

/** The identity in a verified client certificate, or null (no certificate, not verified, unknown role). */
export function identityFromCertificate(socket: TLSSocket): BrokerIdentity | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (cert === null || cert.subject === undefined) return null;
  const cn = single(cert.subject.CN);
  const ou = single(cert.subject.OU);
  if (cn === undefined) return null;
  if (ou === 'device' && isValidDeviceId(cn)) return { role: 'device', id: cn };
  if (ou === 'platform') return { role: 'platform', id: cn };
  return null;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
}

export type ConnectVerdict = { ok: true; identity: BrokerIdentity } | { ok: false; returnCode: 3 | 4 | 5; reason: string };

/**
 * Decides a CONNECT. returnCode 3 = server unavailable (too many checks waiting), 4 = bad user name
 * or password, 5 = not authorised (MQTT 3.1.1 §3.2.2.3). `trusted` is the identity of a connection
 * the broker opened in process for the platform itself (no password crosses it).
 */
export async function decideConnect(
  conn: unknown,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  checkPassword: PasswordCheck,
  limiter: CheckLimiter,
  trusted: BrokerIdentity | undefined,
): Promise<ConnectVerdict> {
  let identity: BrokerIdentity | null;
  if (trusted !== undefined) {
    identity = trusted;
  } else if (conn instanceof TLSSocket) {
    identity = identityFromCertificate(conn);
    if (identity === null) return { ok: false, returnCode: 5, reason: 'no verified client certificate with a known role' };
    if (username !== undefined && username !== '' && username !== identity.id) {
      return { ok: false, returnCode: 5, reason: `user name '${username}' differs from certificate CN` };
    }
  } else {
    if (username === undefined || password === undefined) return { ok: false, returnCode: 4, reason: 'no user name or password' };
    const checked = limiter.run(async () => checkPassword(username, password));
    if (checked === null) return { ok: false, returnCode: 3, reason: 'too many password checks waiting' };
    identity = await checked;
    if (identity === null) return { ok: false, returnCode: 4, reason: `bad user name or password for '${username}'` };
  }
  if (identity.role === 'device' && clientId !== identity.id) {
    return { ok: false, returnCode: 5, reason: `device '${identity.id}' must connect with client id '${identity.id}'` };
  }
  return { ok: true, identity };
}
