/**
 * What an operator needs to run the link on mosquitto with TLS client certificates from the
 * platform CA (platform-server/README.md "External broker"): the CA certificate, the broker's
 * certificate and key (issued at `platform init`, sealed in the key store), an ACL and a
 * mosquitto.conf that uses them. The ACL's patterns cover every device, present and future: with
 * `use_identity_as_username` a device's user name is its certificate CN, its device id, so device X
 * may publish only tapcard/v1/X/up and read only tapcard/v1/X/down; the platform's certificate
 * (CN platform) reads every up topic and writes every down topic, and the platform workers'
 * inboxes (a worker hands another the frames of a device that worker serves).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OWNER_PLATFORM } from './db/key-store';
import { META, requireMeta } from './db/meta';
import { PLATFORM_KEYS, PLATFORM_PRINCIPAL, type Platform } from './platform-home';

export const MOSQUITTO_ACL = [
  '# tapcard link ACL: %u is the user name, i.e. the client certificate CN',
  `user ${PLATFORM_PRINCIPAL}`,
  'topic read tapcard/v1/+/up',
  'topic write tapcard/v1/+/down',
  'topic readwrite tapcard/platform/+/in',
  'pattern write tapcard/v1/%u/up',
  'pattern read tapcard/v1/%u/down',
  '',
].join('\n');

export interface MosquittoFiles {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  aclFile: string;
  confFile: string;
}

/**
 * Writes ca.pem, broker.crt, broker.key (mode 0600), tapcard.acl and mosquitto.conf (a TLS
 * listener on `port`, client certificates required) into `dir`; refuses to overwrite.
 */
export function writeMosquittoFiles(p: Platform, dir: string, port: number, bindAddress = '0.0.0.0'): MosquittoFiles {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f: MosquittoFiles = {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'broker.crt'),
    keyFile: path.join(dir, 'broker.key'),
    aclFile: path.join(dir, 'tapcard.acl'),
    confFile: path.join(dir, 'mosquitto.conf'),
  };
  for (const file of [f.caFile, f.certFile, f.keyFile, f.aclFile, f.confFile]) {
    if (existsSync(file)) throw new Error(`${file} exists; give an empty --out directory`);
  }
  writeFileSync(f.caFile, p.caCertPem(), { mode: 0o644, flag: 'wx' });
  writeFileSync(f.certFile, requireMeta(p.db, META.BROKER_SERVER_CERT), { mode: 0o644, flag: 'wx' });
  const key = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_SERVER_KEY);
  try {
    writeFileSync(f.keyFile, key, { mode: 0o600, flag: 'wx' });
  } finally {
    key.fill(0);
  }
  chmodSync(f.keyFile, 0o600);
  writeFileSync(f.aclFile, MOSQUITTO_ACL, { mode: 0o644, flag: 'wx' });
  const conf = [
    '# tapcard: TLS with client certificates from the platform CA only (no password listener)',
    `listener ${port} ${bindAddress}`,
    `cafile ${f.caFile}`,
    `certfile ${f.certFile}`,
    `keyfile ${f.keyFile}`,
    'require_certificate true',
    'use_identity_as_username true',
    `acl_file ${f.aclFile}`,
    '',
  ].join('\n');
  writeFileSync(f.confFile, conf, { mode: 0o644, flag: 'wx' });
  return f;
}
