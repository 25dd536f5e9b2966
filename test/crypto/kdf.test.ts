import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { cbcDecrypt, cbcEncrypt } from '../../firmware/src/core/crypto/cbc';
import { Cmac } from '../../firmware/src/core/crypto/cmac';
import {
  DERIVE_CARD_CHALLENGE,
  DERIVE_CARD_CRYPTOGRAM,
  DERIVE_HOST_CRYPTOGRAM,
  DERIVE_S_ENC,
  DERIVE_S_MAC,
  DERIVE_S_RMAC,
  scp03Derive,
} from '../../firmware/src/core/crypto/kdf';
import { pad80, unpad80 } from '../../firmware/src/core/crypto/padding';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import vectors from '../vectors/scp03-pysim.json';

// Third-party suite: pySim tests/unittests/test_globalplatform.py, nine SCP03 transcripts
// (AES-128/192/256 x security level 11, 03, 33); see the "source" field of the JSON.
type VectorSet = (typeof vectors.sets)[number] & { sessionKeys?: { sEnc: string; sMac: string; sRmac: string } };

/* INITIALIZE UPDATE response (the pySim SCP03 test transcripts, osmocom/pysim tests/unittests/test_globalplatform.py, AmdD 7.1.1.6, S8 mode with pseudo-random challenge):
 *   0..9 key diversification data | 10..12 key info | 13..20 card challenge |
 *   21..28 card cryptogram | 29..31 sequence counter */
const CARD_CHALLENGE_AT = 13;
const CARD_CRYPTOGRAM_AT = 21;
const SEQ_COUNTER_AT = 29;

class Session {
  readonly aes = new SoftAes();
  readonly mac = new Cmac(this.aes);
  readonly sEnc: Uint8Array;
  readonly sMac: Uint8Array;
  readonly sRmac: Uint8Array;
  readonly context: Uint8Array;

  constructor(readonly v: VectorSet) {
    const rsp = fromHex(v.initUpdateRsp);
    this.context = new Uint8Array(16); // host challenge || card challenge
    this.context.set(fromHex(v.initUpdateCmd).subarray(5, 13), 0);
    this.context.set(rsp.subarray(CARD_CHALLENGE_AT, CARD_CHALLENGE_AT + 8), 8);
    this.sEnc = this.derive(fromHex(v.kEnc), DERIVE_S_ENC, this.context, v.keyBits);
    this.sMac = this.derive(fromHex(v.kMac), DERIVE_S_MAC, this.context, v.keyBits);
    this.sRmac = this.derive(fromHex(v.kMac), DERIVE_S_RMAC, this.context, v.keyBits);
  }

  derive(key: Uint8Array, constant: number, context: Uint8Array, bits: number): Uint8Array {
    this.aes.setKey(key, 0, key.length);
    const out = new Uint8Array(bits / 8);
    scp03Derive(this.mac, constant, context, 0, context.length, bits, out, 0);
    return out;
  }

  /** Full 16-byte CMAC over the concatenation of parts (the MCV chain of AmdD §6.2.3-§6.2.4). */
  cmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
    this.aes.setKey(key, 0, key.length);
    const out = new Uint8Array(16);
    this.mac.start();
    for (const p of parts) this.mac.update(p, 0, p.length);
    this.mac.finish(out, 0);
    return out;
  }

  /** AES-ECB(S-ENC, counter block) with the first byte forced for R-ENC (AmdD §6.2.5-§6.2.7). */
  icv(counter: number, firstByte: number): Uint8Array {
    const block = new Uint8Array(16);
    block[15] = counter;
    block[0] = firstByte;
    this.aes.setKey(this.sEnc, 0, this.sEnc.length);
    this.aes.encryptBlock(block, 0, block, 0);
    return block;
  }
}

const SETS = vectors.sets as VectorSet[];

describe('scp03Derive (SP 800-108 counter mode, AmdD §4.1.5) on the pySim SCP03 vectors', () => {
  for (const v of SETS) {
    describe(v.name, () => {
      const s = new Session(v);
      const rsp = fromHex(v.initUpdateRsp);
      const extAuth = fromHex(v.extAuthCmd);

      if (v.sessionKeys) {
        it('derives the S-ENC, S-MAC and S-RMAC of the pySim SCP03 test transcripts, osmocom/pysim tests/unittests/test_globalplatform.py', () => {
          expect([toHex(s.sEnc), toHex(s.sMac), toHex(s.sRmac)]).toEqual([
            v.sessionKeys!.sEnc,
            v.sessionKeys!.sMac,
            v.sessionKeys!.sRmac,
          ]);
        });
      }

      it('derives the card cryptogram of INITIALIZE UPDATE and the host cryptogram of EXTERNAL AUTHENTICATE', () => {
        const card = s.derive(s.sMac, DERIVE_CARD_CRYPTOGRAM, s.context, 64);
        expect(toHex(card)).toBe(toHex(rsp, CARD_CRYPTOGRAM_AT, 8));
        const host = s.derive(s.sMac, DERIVE_HOST_CRYPTOGRAM, s.context, 64);
        expect(toHex(host)).toBe(toHex(extAuth, 5, 8));
      });

      it('derives the pseudo-random card challenge from the sequence counter and ISD-R AID', () => {
        const context = fromHex(toHex(rsp, SEQ_COUNTER_AT, 3) + vectors.isdrAid);
        const challenge = s.derive(fromHex(v.kEnc), DERIVE_CARD_CHALLENGE, context, 64);
        expect(toHex(challenge)).toBe(toHex(rsp, CARD_CHALLENGE_AT, 8));
      });

      it('session keys reproduce the wrapped GET EID command and its response', () => {
        const level = extAuth[2];
        // EXTERNAL AUTHENTICATE C-MAC over MCV 00 x 16 || header || host cryptogram.
        let mcv = s.cmac(s.sMac, new Uint8Array(16), extAuth.subarray(0, 13));
        expect(toHex(mcv, 0, 8)).toBe(toHex(extAuth, 13, 8));

        const cmd = fromHex(v.getEidCmd);
        const dataLen = cmd[4] - 8;
        const plain = fromHex(vectors.getEidCmdPlain);
        const data = new Uint8Array(32);
        data.set(plain.subarray(5, 5 + plain[4]), 0);
        let len = plain[4];
        if ((level & 0x02) !== 0) {
          // C-DECRYPTION: first command after EXTERNAL AUTHENTICATE, encryption counter 1.
          len = pad80(data, 0, len, 16);
          s.aes.setKey(s.sEnc, 0, s.sEnc.length);
          cbcEncrypt(s.aes, s.icv(1, 0x00), 0, data, 0, len, data, 0);
        }
        expect(toHex(data, 0, len)).toBe(toHex(cmd, 5, dataLen));
        mcv = s.cmac(s.sMac, mcv, cmd.subarray(0, 5 + dataLen));
        expect(toHex(mcv, 0, 8)).toBe(toHex(cmd, 5 + dataLen, 8));

        const rspApdu = fromHex(v.getEidRsp);
        if ((level & 0x10) === 0) {
          expect(toHex(rspApdu)).toBe(vectors.getEidRspPlain);
          return;
        }
        const body = rspApdu.subarray(0, rspApdu.length - 8);
        const rmac = s.cmac(s.sRmac, mcv, body, fromHex('9000'));
        expect(toHex(rmac, 0, 8)).toBe(toHex(rspApdu, body.length, 8));
        if ((level & 0x20) !== 0) {
          const out = new Uint8Array(body.length);
          s.aes.setKey(s.sEnc, 0, s.sEnc.length);
          cbcDecrypt(s.aes, s.icv(1, 0x80), 0, body, 0, body.length, out, 0);
          expect(toHex(out, 0, unpad80(out, 0, out.length))).toBe(vectors.getEidRspPlain);
        } else {
          expect(toHex(body)).toBe(vectors.getEidRspPlain);
        }
      });
    });
  }
});

describe('scp03Derive arguments', () => {
  const aes = new SoftAes();
  aes.setKey(new Uint8Array(16), 0, 16);
  const mac = new Cmac(aes);
  const ctx = new Uint8Array(16);

  it('writes exactly lengthBits/8 bytes at the offset, even across PRF blocks', () => {
    const out = new Uint8Array(40).fill(0xee);
    scp03Derive(mac, DERIVE_S_ENC, ctx, 0, 16, 192, out, 4);
    expect(out.subarray(0, 4).every((b) => b === 0xee)).toBe(true);
    expect(out.subarray(28).every((b) => b === 0xee)).toBe(true);
    // The first block of a 192-bit derivation differs from a 128-bit one: L is part of the input.
    const short = new Uint8Array(16);
    scp03Derive(mac, DERIVE_S_ENC, ctx, 0, 16, 128, short, 0);
    expect(toHex(out, 4, 16)).not.toBe(toHex(short));
  });

  it('rejects bad lengths, constants and ranges', () => {
    const out = new Uint8Array(32);
    expect(() => scp03Derive(mac, DERIVE_S_ENC, ctx, 0, 16, 100, out, 0)).toThrow(/whole bytes, got 100/);
    expect(() => scp03Derive(mac, DERIVE_S_ENC, ctx, 0, 16, 0, out, 0)).toThrow(/got 0/);
    expect(() => scp03Derive(mac, 0x100, ctx, 0, 16, 128, out, 0)).toThrow(/one byte/);
    expect(() => scp03Derive(mac, DERIVE_S_ENC, ctx, 8, 16, 128, out, 0)).toThrow(/context/);
    expect(() => scp03Derive(mac, DERIVE_S_ENC, ctx, 0, 16, 256, out, 8)).toThrow(/output/);
  });
});
