/**
 * The issuer interface's HTTP binding (docs/flows.md §4): a transit server reached over HTTP
 * serves the package of a download, and a refusing or unreachable issuer fails the job with its
 * reason instead of installing anything.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpIssuer } from '../../platform-server/src/flows/issuers/http-issuer';
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

/** A transit issuer server: the in-process adapter behind the documented HTTP binding. */
async function transitServer(refuse: boolean): Promise<string> {
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
      if (refuse) return reply(403, { error: 'card stock exhausted' });
      const body = JSON.parse(text) as { jobId: string; applicationId: string; deviceId: string; seSerial: string };
      if (!issued.has(body.jobId)) {
        const p = await inner.issuePackage(body);
        const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
        issued.set(body.jobId, {
          loadFile: hex(p.loadFile),
          packageAid: hex(p.packageAid),
          moduleAid: hex(p.moduleAid),
          instanceAid: hex(p.instanceAid),
          privileges: hex(p.privileges),
          installParams: null,
          cardNumber: p.cardNumber,
        });
      }
      reply(200, issued.get(body.jobId));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('issuer over HTTP', () => {
  it('installs the package a remote transit server issues', async () => {
    const issuer = await HttpIssuer.connect('transit', await transitServer(false));
    world = await flowWorld({ dpu: { issuers: [issuer] } });
    const t = await world.terminal(await world.provision('term-1'));
    const job = await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(job.state).toBe('done');
    expect(t.cards()[0].cardManager?.cardNumber).toMatch(/^31041000/);
  });

  it('a refusing issuer fails the job with its reason and installs nothing', async () => {
    const issuer = await HttpIssuer.connect('transit', await transitServer(true));
    world = await flowWorld({ dpu: { issuers: [issuer] } });
    const t = await world.terminal(await world.provision('term-1'));
    const job = await world.dpu.waitFor(world.dpu.requestDownload('term-1', 'transit', 'test').id);
    expect(job.state).toBe('failed');
    expect(job.error).toContain('card stock exhausted');
    expect(t.cards()).toEqual([]);
  });
});
