/**
 * The platform's end of the link over an in-memory transport, against a device built from the
 * core codecs: requests reach the handler routed for their TAR and come back as secured PoRs;
 * commands down are matched with their PoR; a replayed, truncated, reordered or tampered segment is
 * refused and changes nothing (no handler call, no counter change).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POR } from '../../firmware/src/core/link/por-status';
import { RESPONSE } from '../../firmware/src/core/link/response-packet';
import { DbCounterStore } from '../../platform-server/src/db/link-counters';
import { setDeviceStatus } from '../../platform-server/src/db/devices';
import { PlatformLink, LinkError, type UplinkRequest } from '../../platform-server/src/link/platform-link';
import { countersFromDb, linkKeysFromStore } from '../../platform-server/src/link/link-sources';
import { MemoryLinkNetwork } from '../../platform-server/src/mqtt/memory-transport';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { provisionDevice } from '../../platform-server/src/provision';
import { DevicePeer } from './_device-peer';
import { tempPlatform, type TempPlatform } from './_fixtures';

const TAR_MGMT = 0x544301; // an application the test routes
const TAR_SLOW = 0x544302; // one whose handler answers when the test lets it

let t: TempPlatform;
let bundle: ProvisioningBundle;
let revoked: ProvisioningBundle;
let net: MemoryLinkNetwork;
let link: PlatformLink;
const handled: UplinkRequest[] = [];
const logs: string[] = [];

beforeAll(async () => {
  t = await tempPlatform();
  bundle = (await provisionDevice(t.platform, { deviceId: 'term-1' })).bundle;
  revoked = (await provisionDevice(t.platform, { deviceId: 'term-x' })).bundle;
  setDeviceStatus(t.platform.db, 'term-x', 'revoked');
  net = new MemoryLinkNetwork();
  link = new PlatformLink({
    transport: net.platform(),
    keys: linkKeysFromStore(t.platform),
    counters: countersFromDb(t.platform),
    log: (event, detail) => logs.push(JSON.stringify({ event, ...detail })),
    porTimeoutMs: 2000,
  });
  link.route(TAR_MGMT, async (req) => {
    handled.push(req);
    return Uint8Array.from([...req.data].reverse());
  });
});

afterAll(async () => {
  await link.close();
  t.cleanup();
});

function upCounter(deviceId = 'term-1'): string {
  const out = new Uint8Array(5);
  new DbCounterStore(t.platform.db, deviceId, 'up').read(out, 0);
  return Buffer.from(out).toString('hex');
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

describe('platform link, device -> platform', () => {
  it('routes a request to its TAR handler and returns the answer in a secured PoR', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'));
    const por = await dev.request(TAR_MGMT, Uint8Array.of(1, 2, 3));
    expect(por).toEqual({ code: RESPONSE.VERIFIED, status: POR.OK, data: '030201' });
    expect(handled.map((h) => [h.deviceId, Buffer.from(h.data).toString('hex')])).toEqual([['term-1', '010203']]);
    expect(upCounter()).toBe('0000000001');
  });

  it('carries a request larger than one frame (concatenated parts)', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'));
    dev.upCounter.value = Buffer.from('0000000001', 'hex');
    const data = new Uint8Array(400).map((_, i) => i & 0xff);
    const por = await dev.request(TAR_MGMT, data);
    expect(por.status).toBe(POR.OK);
    expect(dev.sent.length).toBe(4);
    expect(por.data).toBe(Buffer.from([...data].reverse()).toString('hex'));
  });

  it('answers a copy of the last request with its PoR again, drops a copy of a recent one, refuses an older one with CNTR low; none reaches the handler or moves the counter', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'));
    dev.upCounter.value = Buffer.from(upCounter(), 'hex');
    const first = await dev.request(TAR_MGMT, Uint8Array.of(7));
    const oldest = dev.sent.slice();
    for (let i = 0; i < 4; i++) await dev.request(TAR_MGMT, Uint8Array.of(i));
    const recent = dev.sent.slice(oldest.length + 2, oldest.length + 3);
    const last = dev.sent.slice(-1);
    const before = { calls: handled.length, counter: upCounter() };

    const again = dev.nextPor();
    for (const f of last) await dev.sendFrame(f);
    expect(await again).toEqual({ code: RESPONSE.VERIFIED, status: POR.OK, data: '03' });

    for (const f of recent) await dev.sendFrame(f);
    await settle();
    expect(dev.pors).toHaveLength(6);

    const replay = dev.nextPor();
    for (const f of oldest) await dev.sendFrame(f);
    expect(await replay).toMatchObject({ code: RESPONSE.VERIFIED, status: POR.CNTR_LOW, data: '' });
    expect(first).toMatchObject({ status: POR.OK, data: '07' });
    expect({ calls: handled.length, counter: upCounter() }).toEqual(before);
  });

  it('drops a copy that arrives while the handler is still answering the first: one handler call, one PoR', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    let slowCalls = 0;
    link.route(TAR_SLOW, async (req) => {
      slowCalls++;
      await gate;
      return req.data;
    });
    const dev = new DevicePeer(bundle, net.device('term-1'));
    dev.upCounter.value = Buffer.from(upCounter(), 'hex');
    const frames = dev.requestFrames(TAR_SLOW, Uint8Array.of(1, 2));
    const por = dev.nextPor();
    for (const f of frames) await dev.sendFrame(f);
    for (const f of frames) await dev.sendFrame(f);
    await settle();
    expect(dev.pors).toHaveLength(0);
    open();
    expect(await por).toEqual({ code: RESPONSE.VERIFIED, status: POR.OK, data: '0102' });
    await settle();
    expect({ calls: slowCalls, pors: dev.pors.length }).toEqual({ calls: 1, pors: 1 });
  });

  it('answers an unrouted TAR with a clear "TAR unknown" PoR', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'));
    dev.upCounter.value = Buffer.from(upCounter(), 'hex');
    const before = upCounter();
    const por = await dev.request(0x000001, Uint8Array.of(1));
    expect(por).toEqual({ code: RESPONSE.CLEAR, status: POR.TAR_UNKNOWN, data: '' });
    expect(upCounter()).toBe(before);
  });

  it('refuses tampered, truncated and malformed segments: no handler call, no counter change', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'));
    dev.upCounter.value = Buffer.from(upCounter(), 'hex');
    // Build a two-part request without sending it, by sending it to a detached copy first.
    const probe = new DevicePeer(bundle, new MemoryLinkNetwork().device('term-1'));
    probe.upCounter.value = Buffer.from(upCounter(), 'hex');
    void probe.request(TAR_MGMT, new Uint8Array(200).fill(0x5a));
    await settle();
    const [first, second] = probe.sent;
    const before = { calls: handled.length, counter: upCounter() };

    const tampered = second.slice();
    tampered[tampered.length - 1] ^= 0x01;
    const tamperPor = dev.nextPor();
    await dev.sendFrame(first);
    await dev.sendFrame(tampered);
    expect(await tamperPor).toMatchObject({ code: RESPONSE.CLEAR, status: POR.RC_CC_DS_FAILED });

    await dev.sendFrame(first.subarray(0, 3)); // header only: malformed
    await dev.sendFrame(Uint8Array.from([...first.subarray(0, 4), 0x09, ...first.subarray(5)])); // 9 parts > 8
    await dev.sendFrame(second.slice(0, second.length - 1)); // truncated segment...
    await dev.sendFrame(first); // ...completes a packet shorter than its CPL
    await settle();
    expect({ calls: handled.length, counter: upCounter() }).toEqual(before);
    for (const reason of ['MALFORMED_HEADER', 'TOO_MANY_PARTS', 'LENGTH_MISMATCH']) expect(logs.some((l) => l.includes(reason)), reason).toBe(true);

    // Reordered but intact: accepted exactly once.
    const ok = dev.nextPor();
    await dev.sendFrame(second);
    await dev.sendFrame(first);
    expect((await ok).status).toBe(POR.OK);
    expect(handled.length).toBe(before.calls + 1);
  });

  it('drops frames from a revoked device', async () => {
    const dev = new DevicePeer(revoked, net.device('term-x'));
    const calls = handled.length;
    void dev.request(TAR_MGMT, Uint8Array.of(1));
    await settle();
    expect(handled.length).toBe(calls);
    expect(dev.pors).toEqual([]);
    expect(logs.some((l) => l.includes('"deviceId":"term-x"') && l.includes('unknown or revoked'))).toBe(true);
  });
});

describe('platform link, platform -> device', () => {
  it('sends a command under the next down counter and resolves with the verified PoR', async () => {
    const dev = new DevicePeer(bundle, net.device('term-1'), (tar, data) => Uint8Array.of(tar & 0xff, data.length, 0x90, 0x00));
    const r1 = await link.sendCommand('term-1', TAR_MGMT, new Uint8Array(300).fill(1));
    expect(r1).toEqual({ status: POR.OK, data: Uint8Array.of(0x01, 300 & 0xff, 0x90, 0x00), verified: true });
    const r2 = await link.sendCommand('term-1', TAR_MGMT, Uint8Array.of(9));
    expect(r2.data).toEqual(Uint8Array.of(0x01, 1, 0x90, 0x00));
    expect(dev.downCounter.hex()).toBe('0000000002');
    expect(dev.commandsSeen).toBe(2);
  });

  it('times out without a PoR, and refuses unknown devices', async () => {
    const quiet = new MemoryLinkNetwork();
    const l2 = new PlatformLink({ transport: quiet.platform(), keys: linkKeysFromStore(t.platform), counters: countersFromDb(t.platform), log: () => {} });
    await expect(l2.sendCommand('term-1', TAR_MGMT, Uint8Array.of(1), 100)).rejects.toMatchObject({ code: 'POR_TIMEOUT' });
    await expect(l2.sendCommand('nobody', TAR_MGMT, Uint8Array.of(1))).rejects.toBeInstanceOf(LinkError);
    await l2.close();
  });
});
