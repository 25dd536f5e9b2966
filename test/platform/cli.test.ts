/**
 * `tapcard platform` end to end as a user runs it: init, provision, devices, and start as a real
 * process (free ports printed, SIGTERM stops it cleanly with exit 0). A device joins over TLS with
 * its bundle and talks to the running platform; then every line the commands printed is searched
 * for key material (KMC, storage key, link keys, ISD keys, passwords, private keys): none may appear.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RESPONSE } from '../../firmware/src/core/link/response-packet';
import { POR } from '../../firmware/src/core/link/por-status';
import { run } from '../../cli/platform';
import { OWNER_PLATFORM } from '../../platform-server/src/db/key-store';
import { MqttDeviceTransport } from '../../net/mqtt/mqtt-transport';
import { readBundle, type ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { PLATFORM_KEYS, Platform } from '../../platform-server/src/platform-home';
import { DevicePeer } from './_device-peer';

const ROOT = path.resolve(__dirname, '../..');
const ENV = { ...process.env, TAPCARD_STORAGE_KEY: '' };

let dir: string;
let data: string;
const output: string[] = [];

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const saved = process.env.TAPCARD_STORAGE_KEY;
  delete process.env.TAPCARD_STORAGE_KEY;
  try {
    const code = await run(argv);
    output.push(...out, ...err);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (saved !== undefined) process.env.TAPCARD_STORAGE_KEY = saved;
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tapcard-cli-'));
  data = path.join(dir, 'platform');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tapcard platform', () => {
  let bundle: ProvisioningBundle;

  it('init creates the platform and reports KCVs; a second init is refused', async () => {
    const r = await cli('init', '--data', data, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ storageKey: { source: 'file' }, brokerUrl: 'mqtt://127.0.0.1:1883' });
    expect(s.kmcKcv).toMatch(/^[0-9a-f]{6}$/);
    expect((await cli('init', '--data', data)).code).toBe(1);
  });

  it('provision writes a bundle and prints serials and KCVs; devices lists it', async () => {
    const file = path.join(dir, 'term-7.json');
    const r = await cli('provision', '--data', data, '--device', 'term-7', '--out', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SE serial\s+[0-9a-f]{20}/);
    bundle = readBundle(file);
    expect((await cli('provision', '--data', data, '--device', 'term-8', '--out', file)).code).toBe(2);
    const list = JSON.parse((await cli('devices', '--data', data, '--json')).out);
    expect(list.devices).toEqual([expect.objectContaining({ id: 'term-7', status: 'active', seSerial: bundle.se.serial })]);
    expect((await cli('devices', '--data', data)).out).toMatch(/^DEVICE\s+STATUS/);
  });

  it('answers bad usage with exit 2 and every subcommand has --help', async () => {
    expect((await cli('provision', '--data', data)).code).toBe(2);
    expect((await cli('start', '--mqtt-port', 'x', '--data', data)).code).toBe(2);
    expect((await cli('nonsense')).code).toBe(2);
    // A worker needs the shared broker, a name, and PostgreSQL (this platform is on SQLite).
    expect((await cli('worker', '--data', data, '--worker-id', 'a')).code).toBe(2);
    const onSqlite = await cli('worker', '--data', data, '--broker', 'mqtt://127.0.0.1:1', '--worker-id', 'a');
    expect(onSqlite.code).toBe(2);
    expect(onSqlite.err).toMatch(/PostgreSQL/);
    // A share group is an MQTT topic level: no '/', '+' or '#'; the embedded broker has no groups.
    const badGroup = await cli('worker', '--data', data, '--broker', 'mqtt://127.0.0.1:1', '--worker-id', 'a', '--share-group', 'a/#');
    expect([badGroup.code, badGroup.err]).toEqual([2, expect.stringMatching(/--share-group/)]);
    expect((await cli('start', '--data', data, '--share-group', 'g1')).err).toMatch(/only with --broker/);
    for (const sub of ['init', 'start', 'worker', 'provision', 'devices']) {
      const r = await cli(sub, '--help');
      expect(r.code, sub).toBe(0);
      expect(r.out, sub).toContain(`tapcard platform ${sub}`);
    }
    expect((await cli('devices', '--data', path.join(dir, 'none'))).err).toMatch(/platform init/);
  });

  it('operator subcommands reach a platform whose database is not in its data directory through --db', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    const dbFile = path.join(dir, 'elsewhere.db');
    expect((await cli('init', '--data', elsewhere, '--db', dbFile)).code).toBe(0);
    const added = await cli('terminal-add', '--data', elsewhere, '--db', dbFile, '--id', 'pos-9', '--role', 'transit-payment', '--json');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ id: 'pos-9', role: 'transit-payment' });
    const jobs = await cli('jobs', '--data', elsewhere, '--db', dbFile, '--json');
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.out)).toEqual({ jobs: [] });
    const queued = await cli('download', '--data', elsewhere, '--db', dbFile, '--device', 'nobody', '--app', 'transit');
    expect(queued.err).toMatch(/nobody/);
    // Without --db the data directory holds no database.
    expect((await cli('jobs', '--data', elsewhere, '--json')).err).toMatch(/platform init/);
  });

  it('start runs the broker (plain + TLS) and HTTP on free ports, serves a device, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/tapcard.mjs'), 'platform', 'start', '--data', data, '--mqtt-port', '0', '--mqtts-port', '0', '--http-port', '0', '--json'],
      { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (s: string) => lines.push(...s.split('\n').filter((l) => l !== '')));
    child.stderr.setEncoding('utf8').on('data', (s: string) => lines.push(...s.split('\n').filter((l) => l !== '')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 400 && !lines.some((l) => l.includes('platform.ready')); i++) await new Promise((r) => setTimeout(r, 25));
      const ready = JSON.parse(lines.find((l) => l.includes('platform.ready'))!);
      expect(ready.mqtt.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.mqtt.tlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.mqtt.url).not.toMatch(/:1883$/);

      const health = (await (await fetch(`${ready.http}/v1/health`)).json()) as { status: string; devices: number };
      expect(health).toMatchObject({ status: 'ok', devices: 1 });
      const dev = (await (await fetch(`${ready.http}/v1/devices/term-7`)).json()) as Record<string, unknown>;
      expect(dev).toMatchObject({ id: 'term-7', seSerial: bundle.se.serial });
      expect((await fetch(`${ready.http}/v1/nothing`)).status).toBe(404);

      // The device joins over TLS with its bundle; the platform has no application routed yet.
      const transport = await MqttDeviceTransport.connect(bundle.deviceId, {
        url: ready.mqtt.tlsUrl,
        clientId: bundle.deviceId,
        tls: { caPem: bundle.tls.caCertPem, certPem: bundle.tls.certPem, keyPem: bundle.tls.keyPem },
      });
      const peer = new DevicePeer(bundle, transport);
      const por = await peer.request(0x000001, Uint8Array.of(0x80, 0xf2));
      expect(por).toEqual({ code: RESPONSE.CLEAR, status: POR.TAR_UNKNOWN, data: '' });
      await transport.close();
      // A device with a wrong password on the plain listener is refused (and logged).
      await expect(MqttDeviceTransport.connect('term-7', { url: ready.mqtt.url, clientId: 'term-7', username: 'term-7', password: 'nope', reconnectPeriodMs: 0 })).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('platform.stopped'))).toBe(true);
    expect(lines.some((l) => l.includes('link.command.refused') && l.includes('TAR unknown'))).toBe(true);
    expect(lines.some((l) => l.includes('connect.refused'))).toBe(true);
    output.push(...lines);
  });

  it('prints no key material anywhere', () => {
    const p = Platform.open(data, { ...process.env, TAPCARD_STORAGE_KEY: '' });
    const kmc = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC).toString('hex');
    const brokerPassword = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.BROKER_PASSWORD).toString('utf8');
    const caKey = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.CA_KEY).toString('utf8');
    p.close();
    const storageKey = readFileSync(path.join(data, 'storage.key'), 'utf8').trim();
    const hexKeys = [kmc, storageKey, bundle.link.kic, bundle.link.kid, bundle.se.isd.enc, bundle.se.isd.mac, bundle.se.isd.dek];
    const secrets = [
      ...hexKeys,
      ...hexKeys.map((h) => h.toUpperCase()),
      ...hexKeys.map((h) => Buffer.from(h, 'hex').toString('base64')),
      brokerPassword,
      bundle.broker.password,
      ...pemBody(caKey),
      ...pemBody(bundle.tls.keyPem),
    ];
    const text = output.join('\n');
    expect(output.length).toBeGreaterThan(20);
    for (const s of secrets) expect(text.includes(s), `secret ${s.slice(0, 6)}... in the output`).toBe(false);
  });
});

/** Lines of a PEM's base64 body (each long enough to be unique). */
function pemBody(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
}
