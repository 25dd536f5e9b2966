import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { Cmac } from '../../firmware/src/core/crypto/cmac';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { DIVERSIFY_DEK, DIVERSIFY_ENC, DIVERSIFY_MAC, diversifyKey, diversifyKeySet } from '../../firmware/src/core/gp/diversify';
import { NodeAes } from '../../net/crypto/node-aes';

function diversify(master: string, purpose: number, kdd: string): string {
  const m = fromHex(master);
  const k = fromHex(kdd);
  const out = new Uint8Array(m.length);
  expect(diversifyKey(new Cmac(new SoftAes()), m, purpose, k, 0, k.length, out, 0)).toBe(m.length);
  return toHex(out);
}

describe('ISD key diversification (GlobalPlatformPro KDF3)', () => {
  it('reproduces GlobalPlatformPro TestSCP03.testKDF3 (AES-256 master, K-ENC)', () => {
    expect(diversify('8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD', DIVERSIFY_ENC, 'D9B1DE5D0362DEDCE4FB')).toBe(
      '9aac5d0b3601f89438a0d9d0b6b256cfb47e6462dfa5228d3420c4ac7c224781',
    );
  });

  it('gives each purpose and each SE its own key, of the master key length', () => {
    const master = '404142434445464748494a4b4c4d4e4f';
    const kdd = '00000000000000000001';
    const keys = [DIVERSIFY_ENC, DIVERSIFY_MAC, DIVERSIFY_DEK].map((p) => diversify(master, p, kdd));
    expect(new Set(keys).size).toBe(3);
    expect(keys[0]).toHaveLength(32);
    expect(diversify(master, DIVERSIFY_ENC, '00000000000000000002')).not.toBe(keys[0]);
    expect(diversify(master + '0001020304050607', DIVERSIFY_MAC, kdd)).toHaveLength(48);
  });

  it('refuses a bad purpose, master key length or KDD range', () => {
    const mac = new Cmac(new SoftAes());
    const out = new Uint8Array(32);
    const kdd = new Uint8Array(10);
    expect(diversifyKey(mac, new Uint8Array(16), 4, kdd, 0, 10, out, 0)).toBe(-1);
    expect(diversifyKey(mac, new Uint8Array(20), DIVERSIFY_ENC, kdd, 0, 10, out, 0)).toBe(-1);
    expect(diversifyKey(mac, new Uint8Array(16), DIVERSIFY_ENC, kdd, 5, 10, out, 0)).toBe(-1);
    expect(diversifyKey(mac, new Uint8Array(32), DIVERSIFY_ENC, kdd, 0, 10, out, 8)).toBe(-1);
  });

  it('diversifyKeySet: the three keys of diversifyKey, the master keyed once, on SoftAes and on NodeAes', () => {
    const kdd = fromHex('D9B1DE5D0362DEDCE4FB');
    for (const master of ['404142434445464748494a4b4c4d4e4f', '404142434445464748494a4b4c4d4e4f0001020304050607', '8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD']) {
      const m = fromHex(master);
      const expected = [DIVERSIFY_ENC, DIVERSIFY_MAC, DIVERSIFY_DEK].map((p) => diversify(master, p, 'D9B1DE5D0362DEDCE4FB'));
      for (const mac of [new Cmac(new SoftAes()), new Cmac(new NodeAes())]) {
        // Twice on one Cmac: the second set must not use the first's subkeys or key.
        for (let round = 0; round < 2; round++) {
          const keys = [new Uint8Array(m.length), new Uint8Array(m.length), new Uint8Array(m.length)];
          expect(diversifyKeySet(mac, m, kdd, 0, kdd.length, keys[0], keys[1], keys[2])).toBe(m.length);
          expect(keys.map((k) => toHex(k))).toEqual(expected);
        }
        expect(() => mac.cipher.encryptBlock(new Uint8Array(16), 0, new Uint8Array(16), 0)).toThrow(/no key set/);
      }
    }
    expect(diversify('8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD', DIVERSIFY_ENC, 'D9B1DE5D0362DEDCE4FB')).toBe(
      '9aac5d0b3601f89438a0d9d0b6b256cfb47e6462dfa5228d3420c4ac7c224781',
    );
    const mac = new Cmac(new SoftAes());
    const out = () => new Uint8Array(32);
    expect(diversifyKeySet(mac, new Uint8Array(20), kdd, 0, 10, out(), out(), out())).toBe(-1);
    expect(diversifyKeySet(mac, new Uint8Array(16), kdd, 5, 10, out(), out(), out())).toBe(-1);
    expect(diversifyKeySet(mac, new Uint8Array(32), kdd, 0, 10, out(), new Uint8Array(16), out())).toBe(-1);
  });
});
