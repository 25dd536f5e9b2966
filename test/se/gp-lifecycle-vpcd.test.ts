/**
 * End to end over the vpcd link: the GP host (GpSession, as `tapcard gp` uses it) drives
 * the SE through SELECT -> INITIALIZE UPDATE -> EXTERNAL AUTHENTICATE -> INSTALL [for load] ->
 * LOAD x N -> INSTALL [for install] -> GET STATUS -> DELETE, at every security level.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { SW } from '../../firmware/src/core/sw';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { CardError } from '../../contracts/card-errors';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../../host/gp/load-file';
import { DEV_ISD_KEY, SeCardDevice, createSecureElement } from '../../host/se/virtual-se';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { VpcdReader } from '../../host/vpcd/vpcd-reader';
import { plainLoadFile } from '../helpers/plain-package';
import { checkStore } from '../../firmware/src/core/store/check';

const PKG = 'a0000001510001';
const MODULE = 'a000000151000101';
const KEYS = sameKeyForAll(fromHex(DEV_ISD_KEY));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function linkedSe() {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex('0102030405060708090a') });
  se.boot();
  const reader = new VpcdReader();
  const port = await reader.listen(0);
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(se) });
  client.start();
  await reader.waitForCard(5000);
  await reader.powerOn();
  cleanup.push(async () => {
    await client.stop();
    await reader.close();
  });
  return { se, reader };
}

describe.each([0x01, 0x03, 0x11, 0x13, 0x33])('GP life cycle over vpcd at security level %s', (level) => {
  it('installs a multi-block package, lists it, deletes it', async () => {
    const { reader, se } = await linkedSe();
    const gp = new GpSession(reader.transmit);
    const isd = await gp.selectIsd();
    expect(isd.maxCommandData).toBe(255);
    const info = await gp.openSecureChannel({ keys: KEYS, securityLevel: level });
    expect(info).toMatchObject({ kvn: 0x30, i: 0x70, securityLevel: level });
    expect(info.kdd.toLowerCase()).toBe('0102030405060708090a');

    const file = parseLoadFile(plainLoadFile(PKG, MODULE, 3000));
    const blocks: number[] = [];
    const result = await gp.install(file, { parser: tapcardPackageHeader, onProgress: (p) => blocks.push(p.block) });
    expect(result.blocks).toBeGreaterThan(10);
    expect(blocks).toEqual(Array.from({ length: result.blocks }, (_, i) => i + 1));

    const registry = await gp.list();
    expect(registry.apps.map((a) => [a.aid.toLowerCase(), a.lifeCycle])).toEqual([[MODULE, 0x07]]);
    expect(registry.loadFiles.map((p) => [p.aid.toLowerCase(), p.modules?.map((m) => m.toLowerCase())])).toEqual([[PKG, [MODULE]]]);
    expect(se.cardManager.load(0)).toBe(true);

    await gp.delete(fromHex(PKG), true);
    const after = await gp.list();
    expect(after.apps).toEqual([]);
    expect(after.loadFiles).toEqual([]);
    expect(se.cardManager.load(0)).toBe(false);
    expect(checkStore(se.store).ok).toBe(true);
  });
});

describe('secure channel failures over vpcd', () => {
  it('a wrong C-MAC gets 6982 and closes the session', async () => {
    const { reader } = await linkedSe();
    const gp = new GpSession(reader.transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: KEYS, securityLevel: 0x01 });
    const forged = await reader.transmit(fromHex('84f240020a4f00112233445566778800'));
    expect(toHex(forged)).toBe('6982');
    // The genuine host is locked out too until it authenticates again.
    await expect(gp.list()).rejects.toSatisfy((e: unknown) => e instanceof CardError && e.sw === SW.ERR_SECURITY_STATUS);
    await gp.openSecureChannel({ keys: KEYS, securityLevel: 0x01 });
    expect((await gp.list()).apps).toEqual([]);
  });

  it('wrong keys fail the card cryptogram check before anything is sent', async () => {
    const { reader } = await linkedSe();
    const gp = new GpSession(reader.transmit);
    await gp.selectIsd();
    await expect(gp.openSecureChannel({ keys: sameKeyForAll(new Uint8Array(16).fill(0x11)) })).rejects.toThrow(/cryptogram/i);
  });
});
