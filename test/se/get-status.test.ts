/**
 * GET STATUS continuation (GPCS 11.4.2: 6310 then P2 03) and search criteria, through the GP host.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile } from '../../host/gp/load-file';
import { DEV_ISD_KEY, SeCardDevice, createSecureElement } from '../../host/se/virtual-se';
import { plainLoadFile } from '../helpers/plain-package';

async function sessionWithLoadFiles(n: number) {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex('00000000000000000001') });
  se.boot();
  const card = new SeCardDevice(se);
  card.powerOn();
  const gp = new GpSession(async (apdu) => card.transmit(apdu));
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: 0x13 });
  const aids: string[] = [];
  for (let i = 0; i < n; i++) {
    const pkg = `a00000015100010203040506070809${(0x10 + i).toString(16)}`;
    aids.push(pkg.toUpperCase());
    const file = parseLoadFile(plainLoadFile(pkg, `a0000001510001020304050607${(0x10 + i).toString(16)}01`, 300));
    await gp.installForLoad(fromHex(pkg));
    await gp.load(file.bytes, 200);
  }
  return { gp, aids };
}

describe('GET STATUS', () => {
  it('answers 6310 when the load files do not fit one response, and P2 03 returns the rest', async () => {
    const { gp, aids } = await sessionWithLoadFiles(12);
    const first = await gp.send(fromHex('80f22002024f0000'));
    expect(toHex(first.subarray(first.length - 2))).toBe('6310');
    const next = await gp.send(fromHex('80f22003024f0000'));
    expect(toHex(next.subarray(next.length - 2))).toBe('9000');
    const files = await gp.getStatus(0x20, 'PKG');
    expect(files.map((f) => f.aid)).toEqual(aids);
  });

  it('P2 03 without a preceding 6310 is refused with 6A86', async () => {
    const { gp } = await sessionWithLoadFiles(1);
    const r = await gp.send(fromHex('80f24003024f0000'));
    expect(toHex(r)).toBe('6a86');
  });

  it('filters by AID prefix and answers 6A88 when nothing matches', async () => {
    const { gp } = await sessionWithLoadFiles(3);
    const r = await gp.send(fromHex('80f22002094f07a000000151000100'));
    expect(toHex(r.subarray(r.length - 2))).toBe('9000');
    const none = await gp.send(fromHex('80f22002074f05a00000099900'));
    expect(toHex(none)).toBe('6a88');
  });
});
