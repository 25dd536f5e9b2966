/**
 * The GP host side against the SE core (firmware/src/core/se), in process: the full content
 * management sequence at every security level, key sets, and the failures a host must detect.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/src/core/hex';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { CardError, LoadFileError, SecureChannelError } from '../../contracts/card-errors';
import { GpSession, type LoadProgress } from '../../host/gp/gp-session';
import { diversifyIsdKeys, type StaticKeys } from '../../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../../host/gp/load-file';
import { createSecureElement, DEV_ISD_KEY, SeCardDevice } from '../../host/se/virtual-se';
import type { Transmit } from '../../host/vpcd/vpcd-reader';
import { buildTestLoadFile, INSTANCE_AID, MODULE_AID, PACKAGE_AID } from './se-package';

const DEV_KEYS: StaticKeys = { enc: fromHex(DEV_ISD_KEY), mac: fromHex(DEV_ISD_KEY), dek: fromHex(DEV_ISD_KEY) };
const SERIAL = '0102030405060708090a';

function newCard(): { device: SeCardDevice; transmit: Transmit; log: string[] } {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex(SERIAL) });
  se.boot();
  const device = new SeCardDevice(se);
  device.powerOn();
  const log: string[] = [];
  const transmit: Transmit = async (apdu) => {
    log.push(Buffer.from(apdu).toString('hex'));
    return device.transmit(apdu);
  };
  return { device, transmit, log };
}

describe('GpSession against the SE core', () => {
  for (const level of [0x01, 0x03, 0x11, 0x13, 0x33]) {
    it(`SL ${level.toString(16).padStart(2, '0')}: SELECT, open, install (INSTALL, LOAD xN, INSTALL), GET STATUS, DELETE`, async () => {
      const { transmit, log } = newCard();
      const gp = new GpSession(transmit);
      const isd = await gp.selectIsd();
      expect(Buffer.from(isd.aid).toString('hex')).toBe('a000000151000000');
      expect(isd.maxCommandData).toBe(255);
      const info = await gp.openSecureChannel({ keys: DEV_KEYS, kvn: 0x30, securityLevel: level });
      expect(info).toMatchObject({ kvn: 0x30, i: 0x70, kdd: SERIAL.toUpperCase(), securityLevel: level });

      const before = await gp.list();
      expect(before.isd.map((e) => [e.aid, e.lifeCycleName])).toEqual([['A000000151000000', 'SECURED']]);
      expect(before.isd[0].privilegeNames).toContain('SecurityDomain');
      expect(before.apps).toEqual([]);
      expect(before.loadFiles).toEqual([]);

      const file = parseLoadFile(buildTestLoadFile());
      const progress: LoadProgress[] = [];
      const result = await gp.install(file, { parser: tapcardPackageHeader, instanceAid: fromHex(INSTANCE_AID), onProgress: (p) => progress.push(p) });
      const blockSize = (level & 0x02) !== 0 ? 239 : 247;
      expect(result).toEqual({
        packageAid: PACKAGE_AID,
        moduleAid: MODULE_AID,
        instanceAid: INSTANCE_AID,
        blocks: Math.ceil(file.bytes.length / blockSize),
        blockSize,
      });
      expect(progress.length).toBe(result.blocks);
      expect(progress[progress.length - 1]).toEqual({ block: result.blocks, blocks: result.blocks, bytes: file.bytes.length, totalBytes: file.bytes.length });
      // Every LOAD went out wrapped (CLA 84), P2 counting up, P1 80 only on the last.
      const loads = log.filter((a) => a.startsWith('84e8'));
      expect(loads.map((a) => a.slice(4, 8))).toEqual(loads.map((_, b) => (b === loads.length - 1 ? '80' : '00') + b.toString(16).padStart(2, '0')));

      const after = await gp.list();
      expect(after.apps.map((e) => [e.aid, e.lifeCycleName, e.loadFile])).toEqual([[INSTANCE_AID, 'SELECTABLE', PACKAGE_AID]]);
      expect(after.loadFiles.map((e) => [e.aid, e.lifeCycleName, e.version, e.modules])).toEqual([[PACKAGE_AID, 'LOADED', '1.2', [MODULE_AID]]]);

      await gp.delete(fromHex(PACKAGE_AID), true);
      const gone = await gp.list();
      expect(gone.apps).toEqual([]);
      expect(gone.loadFiles).toEqual([]);
      gp.close();
    });
  }

  it('PUT KEY adds a key set; a session then opens with it, and the old one still works', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS, kvn: 0x30, securityLevel: 0x33 });
    const k = { enc: fromHex('00112233445566778899aabbccddeeff'), mac: fromHex('0102030405060708090a0b0c0d0e0f10'), dek: fromHex('f0e0d0c0b0a090807060504030201000') };
    const kcvs = await gp.putKeySet(0x31, k);
    expect(kcvs).toHaveLength(3);
    expect((await gp.keyInformation()).map((x) => [x.id, x.version, x.type, x.length])).toEqual([
      [1, 0x30, 0x88, 16], [2, 0x30, 0x88, 16], [3, 0x30, 0x88, 16],
      [1, 0x31, 0x88, 16], [2, 0x31, 0x88, 16], [3, 0x31, 0x88, 16],
    ]);
    await gp.selectIsd();
    expect((await gp.openSecureChannel({ keys: k, kvn: 0x31, securityLevel: 0x13 })).kvn).toBe(0x31);
    await gp.list();
    await gp.selectIsd();
    await expect(gp.openSecureChannel({ keys: k, kvn: 0x30 })).rejects.toMatchObject({ reason: 'CARD_CRYPTOGRAM' });
    await gp.selectIsd();
    expect((await gp.openSecureChannel({ keys: DEV_KEYS, kvn: 0x30 })).kvn).toBe(0x30);
  });

  it('opens with keys diversified from a master key over the SE serial (KDD)', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    const kmc = fromHex('000102030405060708090a0b0c0d0e0f');
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS, securityLevel: 0x03 });
    await gp.putKeySet(0x31, diversifyIsdKeys(kmc, fromHex(SERIAL)));
    await gp.selectIsd();
    const info = await gp.openSecureChannel({ masterKey: kmc, kvn: 0x31, securityLevel: 0x33 });
    expect(info.kvn).toBe(0x31);
    await gp.selectIsd();
    await expect(gp.openSecureChannel({ masterKey: fromHex('ff' + '00'.repeat(15)), kvn: 0x31 })).rejects.toMatchObject({ reason: 'CARD_CRYPTOGRAM' });
  });

  it('replaces a key set with AES-256 keys (PUT KEY P1 = old KVN)', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS, kvn: 0x30, securityLevel: 0x03 });
    const k256 = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    await gp.putKeySet(0x32, { enc: k256, mac: k256, dek: k256 }, 0x30);
    await gp.selectIsd();
    await expect(gp.openSecureChannel({ keys: DEV_KEYS, kvn: 0x30 })).rejects.toMatchObject({ reason: 'CARD_STATUS', sw: 0x6a88 });
    await gp.selectIsd();
    expect((await gp.openSecureChannel({ keys: { enc: k256, mac: k256, dek: k256 }, securityLevel: 0x33 })).kvn).toBe(0x32);
  });

  it('wrong keys: the card cryptogram does not verify', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    await gp.selectIsd();
    const wrong = fromHex('404142434445464748494a4b4c4d4e40');
    const err = await gp.openSecureChannel({ keys: { enc: wrong, mac: wrong, dek: wrong } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecureChannelError);
    expect(err).toMatchObject({ reason: 'CARD_CRYPTOGRAM' });
  });

  it('a forged R-MAC on the way back is caught (SecureChannelError RESPONSE_MAC)', async () => {
    const { transmit } = newCard();
    let tamper = false;
    const gp = new GpSession(async (apdu) => {
      const r = await transmit(apdu);
      if (tamper && r.length > 10) r[r.length - 3] ^= 0x01;
      return r;
    });
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS, securityLevel: 0x11 });
    tamper = true;
    await expect(gp.list()).rejects.toMatchObject({ code: 'SECURE_CHANNEL', reason: 'RESPONSE_MAC' });
    expect(gp.secured).toBe(false);
  });

  it('card errors arrive as CardError with the SW: unknown AID, duplicate load file', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS, securityLevel: 0x03 });
    await expect(gp.delete(fromHex('A0000001519999'))).rejects.toMatchObject({ code: 'CARD_ERROR', sw: 0x6a88, command: 'DELETE' });
    const file = parseLoadFile(buildTestLoadFile(100));
    await gp.install(file, { parser: tapcardPackageHeader });
    const err = await gp.install(file, { parser: tapcardPackageHeader }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardError);
    expect(err).toMatchObject({ command: 'INSTALL [for load]', sw: 0x6985 });
  });

  it('without a header parser the AIDs must be given', async () => {
    const { transmit } = newCard();
    const gp = new GpSession(transmit);
    await gp.selectIsd();
    await gp.openSecureChannel({ keys: DEV_KEYS });
    const file = parseLoadFile(buildTestLoadFile(100));
    await expect(gp.install(file)).rejects.toBeInstanceOf(LoadFileError);
    const r = await gp.install(file, { packageAid: fromHex(PACKAGE_AID), moduleAid: fromHex(MODULE_AID) });
    expect(r.instanceAid).toBe(MODULE_AID);
  });
});
