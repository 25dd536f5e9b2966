/**
 * The install package format (docs/package-format.md): builder and parser agree, the file is the
 * Load File Data Block (C4 ...) of a few KB, card keys are the PBOC diversification of the issuer
 * master keys, the issuer signature (Ed25519, node-forge) covers A0..A4, and malformed packages
 * are named, not crashed on.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { encodeBcd, encodePin, decodeBcd, isBcdDate } from '../../firmware/src/core/package/bcd';
import { diversifyPurseKeys, diversifyPurseKeysWith, deriveLoyaltyKey } from '../../firmware/src/core/package/card-keys';
import { makePackageSpec } from '../../firmware/src/core/package/card-package';
import { devMerchantMasterKeys, devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { parsePackage } from '../../firmware/src/core/package/parser';
import { PackageHeader } from '../../firmware/src/core/se/package-header';
import { nodePbocCrypto } from '../../net/crypto/node-des';
import { buildPackageFile, devIssuerSigningKey, verifyPackageSignature } from '../../parties/keys';
import { nodeEcb } from '../crypto/_reference';
import { cardRequest } from '../applets/_harness';

const CARD = '31041000000000012345';

function transit(options: Parameters<typeof cardRequest>[0] = { app: 'transit' }) {
  return makePackageSpec(cardRequest({ cardNumber: CARD, ...options }));
}

describe('package builder and parser', () => {
  it('builds a signed C4 block of a few KB whose fields parse back', () => {
    const spec = transit({ app: 'transit', termsLength: 3000, defaultCard: true });
    const file = buildPackageFile(spec, devIssuerSigningKey(1000));
    expect(file[0]).toBe(0xc4);
    expect(file.length).toBeGreaterThan(3000);
    const p = parsePackage(file);
    expect(p.error).toBe('');
    expect(p.valueLen + 4).toBe(file.length); // C4 82 xx xx
    expect(toHex(p.packageAid)).toBe('f054415043500103e8000000012345');
    expect(toHex(p.moduleAid)).toBe('f0544150434d4f01');
    expect(toHex(p.instanceAid)).toBe('a00000063201010503e8');
    expect(toHex(p.privileges)).toBe('04');
    expect(p.appClass).toBe(1);
    expect(p.version).toBe(0x0100);
    expect(decodeBcd(p.cardNumber, 0, 10)).toBe(CARD);
    expect(p.issuerId).toBe(1000);
    expect(toHex(p.validFrom) + toHex(p.validTo)).toBe('2024010120291231');
    expect(p.ceiling).toBe(100000);
    expect(p.keys.map((k) => [k.type, k.index, k.version, k.algorithm])).toEqual([[1, 1, 1, 0], [2, 1, 1, 0], [3, 1, 1, 0]]);
    expect(p.terms?.length).toBe(3000);
    expect(p.signature?.algorithm).toBe(1);
    // The SE reads the same header from the first LOAD block (se/package-header.ts).
    const h = new PackageHeader();
    expect(h.parse(file, 4, file.length - 4)).toBe(true);
    expect(h.appClass).toBe(1);
    expect(toHex(h.moduleAid.bytes, 0, h.moduleAid.length)).toBe('f0544150434d4f01');
  });

  it('derives the card keys by PBOC diversification over the rightmost 8 bytes of the card number', () => {
    const mk = devTransitMasterKeys();
    const keys = diversifyPurseKeys(mk, fromHex(CARD));
    const d = fromHex(CARD).subarray(2);
    const inv = d.map((b) => b ^ 0xff);
    // Left = 3DES-ECB(MK, D), right = 3DES-ECB(MK, D xor FF..FF), against node:crypto.
    expect(toHex(keys.load)).toBe(toHex(nodeEcb('des-ede', mk.load, d, false)) + toHex(nodeEcb('des-ede', mk.load, inv, false)));
    expect(toHex(keys.tac)).toBe(toHex(nodeEcb('des-ede', mk.tac, d, false)) + toHex(nodeEcb('des-ede', mk.tac, inv, false)));
    expect(toHex(keys.load)).not.toBe(toHex(diversifyPurseKeys(mk, fromHex('31041000000000012346')).load));
    const spec = transit();
    expect(spec.keys.map((k) => toHex(k.value))).toEqual([toHex(keys.load), toHex(keys.purchase), toHex(keys.tac)]);
    // A server's engines (node:crypto), one PbocCrypto for several cards, give the same keys and package.
    const server = nodePbocCrypto();
    for (let round = 0; round < 2; round++) {
      const onServer = diversifyPurseKeysWith(server, mk, fromHex(CARD));
      expect([onServer.load, onServer.purchase, onServer.tac].map((k) => toHex(k))).toEqual([toHex(keys.load), toHex(keys.purchase), toHex(keys.tac)]);
    }
    expect(makePackageSpec(cardRequest({ cardNumber: CARD, app: 'transit' }), server).keys.map((k) => toHex(k.value))).toEqual(spec.keys.map((k) => toHex(k.value)));
    // Loyalty: SP 800-108 / AES-CMAC KDF, a different key per card.
    expect(toHex(deriveLoyaltyKey(devMerchantMasterKeys(), fromHex(CARD)))).not.toBe(toHex(deriveLoyaltyKey(devMerchantMasterKeys(), fromHex('31041000000000012346'))));
  });

  it('signature: valid with the issuer key, invalid when a byte changes, unknown-key for another issuer, unsigned when absent', () => {
    const spec = transit();
    const key = devIssuerSigningKey(1000);
    const file = buildPackageFile(spec, key);
    expect(verifyPackageSignature(file, parsePackage(file), key.publicKey)).toBe('valid');
    const tampered = file.slice();
    tampered[file.length - 100] ^= 0x01; // a byte of the terms of use
    expect(verifyPackageSignature(tampered, parsePackage(tampered), key.publicKey)).toBe('invalid');
    expect(verifyPackageSignature(file, parsePackage(file), devIssuerSigningKey(2900).publicKey)).toBe('unknown-key');
    const unsigned = buildPackageFile(spec, null);
    expect(verifyPackageSignature(unsigned, parsePackage(unsigned), key.publicKey)).toBe('unsigned');
  });

  it('names what is wrong with a malformed package', () => {
    const file = buildPackageFile(transit(), devIssuerSigningKey(1000));
    expect(parsePackage(file.subarray(0, file.length - 1)).error).toMatch(/C4 length does not match/);
    expect(parsePackage(fromHex('c30100')).error).toMatch(/tag C4/);
    expect(parsePackage(fromHex('c403a10100')).error).toMatch(/header \(A0\) must be the first/);
    // A TLV after the signature (AF must be last).
    const value = toHex(file.subarray(4)) + 'a400';
    expect(parsePackage(fromHex('c482' + (value.length / 2).toString(16).padStart(4, '0') + value)).error).toMatch(/AF\) must be the last/);
    const badDate = transit();
    badDate.validTo = fromHex('20291331');
    expect(parsePackage(buildPackageFile(badDate, null)).error).toMatch(/personalisation \(A2\): bad tag 84/);
  });

  it('BCD helpers: card numbers left-padded, PINs F-padded, dates checked', () => {
    expect(toHex(encodeBcd('12345', 10)!)).toBe('00000000000000012345');
    expect(encodeBcd('123a', 10)).toBeNull();
    expect(encodeBcd('1'.repeat(21), 10)).toBeNull();
    expect(toHex(encodePin('12345', 4, 12)!)).toBe('12345f');
    expect(toHex(encodePin('123456', 4, 12)!)).toBe('123456');
    expect(encodePin('123', 4, 12)).toBeNull();
    expect(decodeBcd(fromHex('12345f'), 0, 3)).toBe('12345');
    expect(isBcdDate(fromHex('20240229'), 0)).toBe(true);
    expect(isBcdDate(fromHex('20241301'), 0)).toBe(false);
    expect(isBcdDate(fromHex('20240431'), 0)).toBe(false);
  });
});
