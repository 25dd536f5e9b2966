/**
 * `tapcard platform operator-password` as an operator runs it, against the console of a platform
 * that keeps running: the new credential piped on standard input logs in, the old one no longer
 * does, and a console session opened with the old one ends at once. A credential that is too short
 * or a bad command line changes nothing (exit 2); a missing platform exits 1.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type PlatformHttp } from '../../platform-server/src/http/server';
import { operatorConsole } from '../../platform-server/src/web/console-api';
import { tempPlatform, type TempPlatform } from './_fixtures';
import { startSimulatedParties, type RunningParties } from '../../cli/simulated-parties';

const ROOT = path.resolve(__dirname, '../..');

function tapcard(args: string[], stdin: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/tapcard.mjs'), ...args], { cwd: ROOT, env: { ...process.env, TAPCARD_STORAGE_KEY: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

describe('tapcard platform operator-password', () => {
  let tp: TempPlatform;
  let parties: RunningParties;
  let http: PlatformHttp;
  beforeAll(async () => {
    tp = await tempPlatform();
    parties = startSimulatedParties(tp.platform);
    http = await startHttp(tp.platform.db, { mqtt: { url: 'memory:', tlsUrl: null, embedded: true } }, 0, '127.0.0.1', [
      operatorConsole(tp.platform, parties.services),
    ]);
  });
  afterAll(async () => {
    await http?.close();
    parties?.close();
    tp?.cleanup();
  });

  async function login(credential: string): Promise<{ status: number; cookie: string }> {
    const r = await fetch(`${http.url}/v1/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credential }) });
    return { status: r.status, cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] };
  }
  const devices = async (cookie: string): Promise<number> => (await fetch(`${http.url}/v1/console/devices`, { headers: { cookie } })).status;

  it('replaces the credential from standard input; the old one and its sessions stop working at once', async () => {
    const old = await login(tp.init.operatorCredential);
    expect(old.status).toBe(200);
    expect(await devices(old.cookie)).toBe(200);

    const r = await tapcard(['platform', 'operator-password', '--data', tp.dir], 'a new operator credential\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('operator credential changed');
    expect(r.out).not.toContain('a new operator credential');

    expect(await devices(old.cookie)).toBe(401);
    expect((await login(tp.init.operatorCredential)).status).toBe(401);
    const fresh = await login('a new operator credential');
    expect(fresh.status).toBe(200);
    expect(await devices(fresh.cookie)).toBe(200);
  }, 60_000);

  it('refuses a short credential, two sources, or a missing platform, and changes nothing', async () => {
    const file = path.join(tp.dir, 'short.txt');
    writeFileSync(file, 'short\n');
    const short = await tapcard(['platform', 'operator-password', '--data', tp.dir, '--password-file', file], '');
    expect(short.code).toBe(2);
    expect(short.err).toContain('at least 12 characters; nothing changed');
    const both = await tapcard(['platform', 'operator-password', '--data', tp.dir, '--password-file', file, '--generate'], '');
    expect(both.code).toBe(2);
    const empty = await tapcard(['platform', 'operator-password', '--data', tp.dir], '');
    expect(empty.code).toBe(2);
    expect((await login('a new operator credential')).status).toBe(200);

    const missing = await tapcard(['platform', 'operator-password', '--data', path.join(tp.dir, 'none')], 'another credential!\n');
    expect(missing.code).toBe(1);
    const help = await tapcard(['platform', 'operator-password', '--help'], '');
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: tapcard platform operator-password');
  }, 60_000);

  it('--generate prints a new random credential once, which logs in', async () => {
    const r = await tapcard(['platform', 'operator-password', '--data', tp.dir, '--generate', '--json'], '');
    expect(r.code).toBe(0);
    const { operator } = JSON.parse(r.out) as { operator: string };
    expect((await login(operator)).status).toBe(200);
    expect((await login('a new operator credential')).status).toBe(401);
  }, 60_000);
});
