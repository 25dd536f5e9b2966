/**
 * A power cut at every single flash program/erase during LOAD, INSTALL, DELETE and
 * PUT KEY. After reboot the store passes its own check and GET STATUS shows exactly the old or the
 * new state, never a mix. Also: out-of-order LOAD leaves no trace; a full store answers 6A84.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { SW } from '../../firmware/src/core/sw';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { CardError } from '../../contracts/card-errors';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../../host/gp/load-file';
import { DEV_ISD_KEY, SeCardDevice, createSecureElement } from '../../host/se/virtual-se';
import { plainLoadFile } from '../helpers/plain-package';
import { checkStore } from '../../firmware/src/core/store/check';

const PAGES = 16;
const SERIAL = fromHex('a1a2a3a4a5a6a7a8a9aa');
const KEYS = sameKeyForAll(fromHex(DEV_ISD_KEY));
const NEW_KEYS = sameKeyForAll(fromHex('000102030405060708090a0b0c0d0e0f'));
const FILE = parseLoadFile(plainLoadFile('a0000001510001', 'a000000151000101', 1500));

type Snapshot = { apps: string[]; loadFiles: string[]; kvns: number[] };

async function session(flash: MemoryFlash, keys = KEYS) {
  const se = createSecureElement({ flash, serial: SERIAL });
  se.boot();
  const card = new SeCardDevice(se);
  card.powerOn();
  const gp = new GpSession(async (apdu) => card.transmit(apdu));
  await gp.selectIsd();
  await gp.openSecureChannel({ keys, securityLevel: 0x03 });
  return { se, gp };
}

async function observe(flash: MemoryFlash): Promise<Snapshot> {
  const se = createSecureElement({ flash, serial: SERIAL });
  se.boot();
  expect(checkStore(se.store)).toEqual({ ok: true, problems: [] });
  const kvns: number[] = [];
  for (let k = se.store.nextId(0x02, -1); k >= 0; k = se.store.nextId(0x02, k)) kvns.push(k);
  const card = new SeCardDevice(se);
  card.powerOn();
  const gp = new GpSession(async (apdu) => card.transmit(apdu));
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: kvns.includes(0x30) ? KEYS : NEW_KEYS, securityLevel: 0x01 });
  const r = await gp.list();
  return { apps: r.apps.map((a) => a.aid), loadFiles: r.loadFiles.map((a) => a.aid), kvns };
}

/**
 * Runs `op` once to learn its flash operation count and the state after it, then again from the
 * same starting image with the power cut after 0, 1, ... N-1 operations.
 */
async function cutEverywhere(name: string, prepare: (gp: GpSession) => Promise<void>, op: (gp: GpSession) => Promise<void>) {
  const base = new MemoryFlash(PAGES);
  await prepare((await session(base)).gp);
  const image = base.snapshot();
  const before = await observe(new MemoryFlash(PAGES, image));

  const full = new MemoryFlash(PAGES, image);
  const { gp } = await session(full);
  const start = full.opCount;
  await op(gp);
  const ops = full.opCount - start;
  const after = await observe(full);
  expect(after, `${name} must change the state`).not.toEqual(before);
  expect(ops).toBeGreaterThan(0);

  let sawOld = 0;
  let sawNew = 0;
  for (let n = 0; n < ops; n++) {
    const flash = new MemoryFlash(PAGES, image);
    const s = await session(flash);
    flash.cutAfter(n);
    await expect(op(s.gp), `${name}: cut after ${n} of ${ops}`).rejects.toBeInstanceOf(PowerCutError);
    flash.reboot();
    const seen = await observe(flash);
    if (JSON.stringify(seen) === JSON.stringify(before)) sawOld++;
    else if (JSON.stringify(seen) === JSON.stringify(after)) sawNew++;
    else expect.fail(`${name}: cut after ${n} of ${ops} left a mixed state ${JSON.stringify(seen)}`);
  }
  // Cuts early in the operation keep the old state; once the commit record is down, the new one.
  expect(sawOld).toBeGreaterThan(0);
  return { ops, sawOld, sawNew };
}

describe('power cut at every flash operation', () => {
  it('during INSTALL [for load] + LOAD of a multi-block package', async () => {
    const r = await cutEverywhere('LOAD', async () => {}, async (gp) => {
      await gp.installForLoad(fromHex('a0000001510001'));
      await gp.load(FILE.bytes, 200);
    });
    console.log(`LOAD: ${r.ops} flash operations, old state after ${r.sawOld} cuts, new after ${r.sawNew}`);
  });

  it('during INSTALL [for install and make selectable]', async () => {
    await cutEverywhere(
      'INSTALL',
      async (gp) => {
        await gp.installForLoad(fromHex('a0000001510001'));
        await gp.load(FILE.bytes, 200);
      },
      (gp) => gp.installAndMakeSelectable(fromHex('a0000001510001'), fromHex('a000000151000101'), fromHex('a000000151000101'), Uint8Array.of(0), null),
    );
  });

  it('during DELETE with related objects', async () => {
    await cutEverywhere('DELETE', async (gp) => void (await gp.install(FILE, { parser: tapcardPackageHeader })), (gp) => gp.delete(fromHex('a0000001510001'), true));
  });

  it('during PUT KEY replacing KVN 30', async () => {
    await cutEverywhere('PUT KEY', async () => {}, async (gp) => void (await gp.putKeySet(0x31, NEW_KEYS, 0x30)));
  });
});

describe('LOAD errors leave no trace', () => {
  it('an out-of-order block is refused and the partial load is discarded', async () => {
    const flash = new MemoryFlash(PAGES);
    const { gp, se } = await session(flash);
    await gp.installForLoad(fromHex('a0000001510001'));
    const wrapped = (n: number, last: boolean) => {
      const off = n * 200;
      return Uint8Array.from([0x80, 0xe8, last ? 0x80 : 0x00, n, 200, ...FILE.bytes.subarray(off, off + 200)]);
    };
    const sw = async (apdu: Uint8Array) => toHex(await gp.send(apdu)).slice(-4);
    expect(await sw(wrapped(0, false))).toBe('9000');
    expect(await sw(wrapped(2, false))).toBe('6a86');
    // Block 1 is no use now either: the load was discarded.
    expect(await sw(wrapped(1, false))).toBe('6985');
    expect(se.store.nextId(0x40, -1)).toBe(-1);
    const seen = await observe(flash);
    expect(seen.loadFiles).toEqual([]);
  });

  it('a package larger than the free store is refused with 6A84 and nothing changes', async () => {
    const flash = new MemoryFlash(PAGES);
    const { gp } = await session(flash);
    const big = parseLoadFile(plainLoadFile('a0000001510009', 'a000000151000901', 60_000));
    await expect(gp.install(big, { parser: tapcardPackageHeader })).rejects.toSatisfy(
      (e: unknown) => e instanceof CardError && e.sw === SW.ERR_NOT_ENOUGH_MEMORY,
    );
    expect(await observe(flash)).toEqual({ apps: [], loadFiles: [], kvns: [0x30] });
  });
});
