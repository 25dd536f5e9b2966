/**
 * The platform CA and the certificates it issues, with node-forge (RSA-2048, SHA-256):
 *
 *   CA          CN=<name> tapcard platform CA, O=tapcard      basicConstraints CA, keyCertSign
 *   device      CN=<deviceId>, OU=device, O=tapcard           clientAuth   (MQTT over TLS)
 *   platform    CN=platform, OU=platform, O=tapcard           clientAuth   (the platform's own MQTT client)
 *   broker      CN=<host>, OU=broker, O=tapcard, SAN hosts    serverAuth   (embedded broker's TLS listener)
 *
 * The broker reads a client's role from OU and its identity from CN (mqtt/identity.ts).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export type CertificateRole = 'device' | 'platform' | 'broker';

export interface KeyAndCertificate {
  keyPem: string;
  certPem: string;
  /** Certificate serial number, hex. */
  serial: string;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

const ORG = 'tapcard';
const CA_YEARS = 10;
const LEAF_YEARS = 2;

function generateRsaKeyPair(): Promise<forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: 2048, workers: -1 }, (err, pair) => (err ? reject(err) : resolve(pair)));
  });
}

/** A positive serial number (top bit clear, RFC 5280 §4.1.2.2), hex. */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, years: number): void {
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000);
  const end = new Date(now);
  end.setUTCFullYear(end.getUTCFullYear() + years);
  cert.validity.notAfter = end;
}

export async function createCertificateAuthority(name: string): Promise<CertificateAuthority> {
  const keys = await generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = newSerial();
  validity(cert, CA_YEARS);
  const subject = [
    { name: 'commonName', value: `${name} tapcard platform CA` },
    { name: 'organizationName', value: ORG },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

export interface LeafRequest {
  role: CertificateRole;
  commonName: string;
  /** Broker certificates: DNS names and IP addresses it answers on. */
  hosts?: string[];
}

/** Issues a key pair and a certificate for it, signed by the CA. */
export async function issueCertificate(ca: CertificateAuthority, req: LeafRequest): Promise<KeyAndCertificate> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = await generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = newSerial();
  validity(cert, LEAF_YEARS);
  cert.setSubject([
    { name: 'commonName', value: req.commonName },
    { name: 'organizationalUnitName', value: req.role },
    { name: 'organizationName', value: ORG },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    req.role === 'broker' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (req.role === 'broker') {
    const hosts = req.hosts ?? ['localhost', '127.0.0.1', '::1'];
    extensions.push({
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) !== 0 ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    certPem: forge.pki.certificateToPem(cert),
    serial: cert.serialNumber,
  };
}
