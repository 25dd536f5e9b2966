import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlockCipher } from '../../firmware/src/core/crypto/block-cipher';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { TripleDes } from '../../firmware/src/core/crypto/triple-des';
import { buildDesTables, DesTables, WordDes, WordTripleDes } from '../../firmware/src/board/espruino/word-des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { NodeDes, NodeTripleDes } from '../../net/crypto/node-des';
import { nodeEcb, pseudoRandomBytes } from './_reference';

function encrypt(cipher: BlockCipher, keyHex: string, blockHex: string): string {
  const key = fromHex(keyHex);
  cipher.setKey(key, 0, key.length);
  const out = new Uint8Array(8);
  cipher.encryptBlock(fromHex(blockHex), 0, out, 0);
  return toHex(out);
}

function decrypt(cipher: BlockCipher, keyHex: string, blockHex: string): string {
  const key = fromHex(keyHex);
  cipher.setKey(key, 0, key.length);
  const out = new Uint8Array(8);
  cipher.decryptBlock(fromHex(blockHex), 0, out, 0);
  return toHex(out);
}

const WORD_TABLES = new DesTables(buildDesTables().buffer);

/** The portable core's engines, the board's word-wide ones and the servers' on node:crypto must give the same answers. */
const ENGINES = [
  { name: 'SoftDes (portable core)', des: (): BlockCipher => new SoftDes(), tripleDes: (): BlockCipher => new SoftTripleDes() },
  { name: 'WordDes (board)', des: (): BlockCipher => new WordDes(WORD_TABLES), tripleDes: (): BlockCipher => new WordTripleDes(WORD_TABLES, false) },
  { name: 'NodeDes (servers, node:crypto)', des: (): BlockCipher => new NodeDes(), tripleDes: (): BlockCipher => new NodeTripleDes() },
];

/** Two-key-only engines (the board's SE makes these for the purse): the two-key answers, and 24-byte keys refused. */
describe.each([
  { name: 'TripleDes on SoftDes, two-key only', tripleDes: (): BlockCipher => new TripleDes(() => new SoftDes(), true) },
  { name: 'WordTripleDes, two-key only', tripleDes: (): BlockCipher => new WordTripleDes(WORD_TABLES, true) },
])('$name', (engines) => {
  it('gives the PBOC session keys and agrees with OpenSSL two-key EDE; refuses a 24-byte key', () => {
    const tdes = engines.tripleDes();
    const dlk = '11223344556677888877665544332211';
    expect(encrypt(tdes, dlk, '1122334400008000')).toBe('9b1d924e05595603'); // SESLK
    expect(decrypt(tdes, dlk, '9b1d924e05595603')).toBe('1122334400008000');
    const out = new Uint8Array(8);
    for (let i = 0; i < 10; i++) {
      const key = pseudoRandomBytes(700 + i, 16);
      const block = pseudoRandomBytes(1700 + i, 8);
      tdes.setKey(key, 0, 16);
      tdes.encryptBlock(block, 0, out, 0);
      expect(toHex(out)).toBe(toHex(nodeEcb('des-ede-ecb', key, block, false)));
    }
    expect(() => tdes.setKey(pseudoRandomBytes(1, 24), 0, 24)).toThrow(/expected 16 bytes, got 24/);
  });
});

describe.each(ENGINES)('$name', (engines) => {
  describe('DES (FIPS 46-3)', () => {
    it('FIPS 81 Appendix B ECB example: "Now is the time for all " under 0123456789abcdef', () => {
      const des = engines.des();
      const blocks = [
        ['4e6f772069732074', '3fa40e8a984d4815'], // "Now is t"
        ['68652074696d6520', '6a271787ab8883f9'], // "he time "
        ['666f7220616c6c20', '893d51ec4b563b53'], // "for all "
      ];
      for (const [pt, ct] of blocks) {
        expect(encrypt(des, '0123456789abcdef', pt)).toBe(ct);
        expect(decrypt(des, '0123456789abcdef', ct)).toBe(pt);
      }
    });

    it('variable-plaintext known answers, NIST SP 800-17 Appendix B (from NBS SP 500-20), key 0101010101010101', () => {
      const des = engines.des();
      expect(encrypt(des, '0101010101010101', '8000000000000000')).toBe('95f8a5e5dd31d900');
      expect(encrypt(des, '0101010101010101', '4000000000000000')).toBe('dd7f121ca5015619');
      expect(encrypt(des, '0101010101010101', '0000000000000001')).toBe('166b40b44aba4bd6');
    });

    it('ignores the parity bits of the key', () => {
      const des = engines.des();
      expect(encrypt(des, '0022446688aaccee', '4e6f772069732074')).toBe(encrypt(des, '0123456789abcdef', '4e6f772069732074'));
    });

    it('agrees with OpenSSL on 100 pseudo-random keys and blocks', () => {
      const des = engines.des();
      const out = new Uint8Array(8);
      for (let i = 0; i < 100; i++) {
        const key = pseudoRandomBytes(300 + i, 8);
        const block = pseudoRandomBytes(700 + i, 8);
        const doubled = new Uint8Array(16);
        doubled.set(key, 0);
        doubled.set(key, 8); // EDE with K1 = K2 = K3 is single DES
        des.setKey(key, 0, 8);
        des.encryptBlock(block, 0, out, 0);
        expect(toHex(out)).toBe(toHex(nodeEcb('des-ede-ecb', doubled, block, false)));
        des.decryptBlock(block, 0, out, 0);
        expect(toHex(out)).toBe(toHex(nodeEcb('des-ede-ecb', doubled, block, true)));
      }
    });

    it('CBC-MAC (cbcMac, when the engine has it) agrees with OpenSSL DES-CBC from a given IV', () => {
      const des = engines.des();
      if (des.cbcMac === undefined) return;
      for (let n = 1; n <= 4; n++) {
        const key = pseudoRandomBytes(40 + n, 8);
        const data = pseudoRandomBytes(50 + n, 8 * n + 2);
        const iv = pseudoRandomBytes(60 + n, 8);
        const cbc = crypto.createCipheriv('des-ede-cbc', Buffer.concat([key, key]), iv).setAutoPadding(false);
        const expected = Buffer.concat([cbc.update(data.subarray(1, 1 + 8 * n)), cbc.final()]).subarray(8 * n - 8);
        const state = new Uint8Array(10);
        state.set(iv, 2);
        des.setKey(key, 0, 8);
        des.cbcMac(state, 2, data, 1, 8 * n);
        expect(toHex(state.subarray(2))).toBe(toHex(expected));
      }
      expect(() => des.cbcMac?.(new Uint8Array(8), 0, new Uint8Array(12), 0, 12)).toThrow(/whole blocks/);
    });

    it('rejects a wrong key length and keeps the previous key; wipe() makes the key unusable', () => {
      const des = engines.des();
      des.setKey(fromHex('0123456789abcdef'), 0, 8);
      expect(() => des.setKey(new Uint8Array(16), 0, 16)).toThrow(/DES key: expected 8 bytes, got 16/);
      const out = new Uint8Array(8);
      des.encryptBlock(fromHex('4e6f772069732074'), 0, out, 0);
      expect(toHex(out)).toBe('3fa40e8a984d4815');
      des.wipe();
      expect(() => des.encryptBlock(fromHex('4e6f772069732074'), 0, out, 0)).toThrow(/no key set/);
    });
  });

  describe('Triple DES (SP 800-67 EDE)', () => {
    it('SP 800-67 Rev.1 Appendix B three-key example ("The qufck brown fox jump")', () => {
      const tdes = engines.tripleDes();
      const key = '0123456789abcdef' + '23456789abcdef01' + '456789abcdef0123';
      const blocks = [
        ['5468652071756663', 'a826fd8ce53b855f'],
        ['6b2062726f776e20', 'cce21c8112256fe6'],
        ['666f78206a756d70', '68d5c05dd9b6b900'],
      ];
      for (const [pt, ct] of blocks) {
        expect(encrypt(tdes, key, pt)).toBe(ct);
        expect(decrypt(tdes, key, ct)).toBe(pt);
      }
    });

    it('two-key known answers: PBOC session keys (the published PBOC load and purchase worked examples, docs/standards.md "PBOC vectors")', () => {
      const tdes = engines.tripleDes();
      const dlk = '11223344556677888877665544332211';
      expect(encrypt(tdes, dlk, '1122334400008000')).toBe('9b1d924e05595603'); // SESLK
      expect(encrypt(tdes, dlk, '1122334400000001')).toBe('003238abc57659dd'); // SESPK
      expect(decrypt(tdes, dlk, '9b1d924e05595603')).toBe('1122334400008000');
    });

    it('agrees with OpenSSL for two- and three-key EDE on pseudo-random inputs', () => {
      const tdes = engines.tripleDes();
      const out = new Uint8Array(8);
      for (let i = 0; i < 40; i++) {
        const keyLen = i % 2 === 0 ? 16 : 24;
        const key = pseudoRandomBytes(900 + i, keyLen);
        const block = pseudoRandomBytes(1900 + i, 8);
        const alg = keyLen === 16 ? 'des-ede-ecb' : 'des-ede3-ecb';
        tdes.setKey(key, 0, keyLen);
        tdes.encryptBlock(block, 0, out, 0);
        expect(toHex(out)).toBe(toHex(nodeEcb(alg, key, block, false)));
        tdes.decryptBlock(block, 0, out, 0);
        expect(toHex(out)).toBe(toHex(nodeEcb(alg, key, block, true)));
      }
    });

    it('rejects 8- and 32-byte keys before changing the key; wipe() makes the key unusable', () => {
      const tdes = engines.tripleDes();
      const dlk = fromHex('11223344556677888877665544332211');
      tdes.setKey(dlk, 0, 16);
      expect(() => tdes.setKey(new Uint8Array(8), 0, 8)).toThrow(/3DES key: expected 16 or 24 bytes, got 8/);
      expect(() => tdes.setKey(new Uint8Array(32), 0, 32)).toThrow(/expected 16 or 24 bytes, got 32/);
      const out = new Uint8Array(8);
      tdes.encryptBlock(fromHex('1122334400008000'), 0, out, 0);
      expect(toHex(out)).toBe('9b1d924e05595603');
      tdes.wipe();
      expect(() => tdes.encryptBlock(fromHex('1122334400008000'), 0, out, 0)).toThrow(/no key set/);
    });
  });
});
