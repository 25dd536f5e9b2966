/**
 * The issuer interface's HTTP binding (docs/flows.md §4): a transit server reached over HTTP
 * serves the package of a download, and a refusing or unreachable issuer fails the job with its
 * reason instead of installing anything, and so does an answer that does not fit its schema.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpIssuer } from '../../platform-server/src/flows/issuers/http-issuer';
import { IssuedPackageSchema, PackageRequestSchema } from '../../contracts/issuer';
import { encodeWire, parseWire } from '../../contracts/wire-schema';
import { TransitIssuer } from '../../parties/transit-issuer';
import { flowWorld, type FlowWorld } from './_world';

let world: FlowWorld | null = null;
let server: Server | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
  await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
  server = null;
});

type ServerMode = 'serve' | 'refuse' | 'garble';

/**
 * A transit issuer server: the in-process adapter behind the documented HTTP binding. 'garble'
 * answers a package whose privileges are not hex.
 */
async function transitServer(mode: ServerMode): Promise<string> {
  const inner = new TransitIssuer();
  const issued = new Map<string, unknown>();
  server = createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/v1/applications') return reply(200, { applications: inner.applications() });
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', async () => {
      if (mode === 'refuse') return reply(403, { error: 'card stock exhausted' });
      const body = parseWire(PackageRequestSchema, JSON.parse(text));
      if (!issued.has(body.jobId)) issued.set(body.jobId, encodeWire(IssuedPackageSchema, await inner.issuePackage(body)));
      const answer = issued.get(body.jobId) as Record<string, unknown>;
      reply(200, mode === 'garble' ? { ...answer, privileges: 'zz' } : answer);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** One download of the transit card through an issuer server in `mode`: the job as it ended, the terminal. */
async function downloadThrough(mode: ServerMode) {
  const issuer = await HttpIssuer.connect('transit', await transitServer(mode));
  world = await flowWorld({ dpu: { issuers: [issuer] } });
  const terminal = await world.terminal(await world.provision('term-1'));
  const job = await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
  return { job, terminal };
}

describe('issuer over HTTP', () => {
  it('installs the package a remote transit server issues', async () => {
    const { job, terminal: t } = await downloadThrough('serve');
    expect(job.state).toBe('done');
    expect(t.cards()[0].cardManager?.cardNumber).toMatch(/^31041000/);
  });

  it('a refusing issuer fails the job with its reason and installs nothing', async () => {
    const { job, terminal: t } = await downloadThrough('refuse');
    expect(job.state).toBe('failed');
    expect(job.error).toContain('card stock exhausted');
    expect(t.cards()).toEqual([]);
  });

  it('an answer that does not fit the package schema fails the job naming the field, and installs nothing', async () => {
    const { job, terminal: t } = await downloadThrough('garble');
    expect(job.state).toBe('failed');
    expect(job.error).toContain('privileges: expected 1..3 bytes as hex, got "zz"');
    expect(t.cards()).toEqual([]);
  });
});
