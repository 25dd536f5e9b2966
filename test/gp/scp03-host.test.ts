import { describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { SCP03_ERROR } from '../../firmware/src/core/gp/scp03-errors';
import { Scp03HostSession } from '../../firmware/src/core/gp/scp03-host';
import { scp03HostStep, type Scp03HostEvent, type Scp03HostState } from '../../firmware/src/core/gp/scp03-host-state';
import {
  CASE1_PLAIN, CASE2_PLAIN, CASE3_PLAIN, CASE4_PLAIN, GET_EID_PLAIN, GET_EID_RSP_PLAIN, SCP03_VECTORS, type Scp03Vector,
} from './scp03-vectors';

const OK = '9000';

function newSession(v: Scp03Vector): Scp03HostSession {
  const s = new Scp03HostSession(() => new SoftAes());
  expect(s.setStaticKeys(fromHex(v.enc), fromHex(v.mac), fromHex(v.dek))).toBe(0);
  return s;
}

function wrap(s: Scp03HostSession, plain: string): string {
  const out = new Uint8Array(300);
  const apdu = fromHex(plain);
  const n = s.wrapCommand(apdu, apdu.length, out);
  expect(n, `wrap ${plain}`).toBeGreaterThan(0);
  return toHex(out, 0, n);
}

function unwrap(s: Scp03HostSession, rapdu: string): number | string {
  const r = fromHex(rapdu);
  const out = new Uint8Array(300);
  const n = s.unwrapResponse(r, r.length, out);
  return n < 0 ? n : toHex(out, 0, n);
}

/** Runs the handshake of a vector row; returns the session, open at the row's level. */
function handshake(v: Scp03Vector): Scp03HostSession {
  const s = newSession(v);
  const iu = fromHex(v.initUpdateCmd);
  const out = new Uint8Array(64);
  const n = s.buildInitializeUpdate(iu[2], iu.subarray(5, 13), out);
  expect(toHex(out, 0, n)).toBe(v.initUpdateCmd);
  const rsp = fromHex(v.initUpdateRsp + OK);
  expect(s.parseInitializeUpdateResponse(rsp, rsp.length)).toBe(0);
  expect(s.state).toBe('CARD_VERIFIED');
  const sl = fromHex(v.extAuthCmd)[2];
  const m = s.buildExternalAuthenticate(sl, out);
  expect(toHex(out, 0, m)).toBe(v.extAuthCmd);
  expect(s.checkExternalAuthenticateResponse(fromHex(OK), 2)).toBe(0);
  expect(s.state).toBe('AUTHENTICATED');
  expect(s.securityLevel).toBe(sl);
  return s;
}

describe('SCP03 host session on the pySim transcripts (the pySim SCP03 test transcripts, osmocom/pysim tests/unittests/test_globalplatform.py)', () => {
  for (const v of SCP03_VECTORS) {
    it(`${v.name}: handshake, GET EID and ISO cases 1-4 byte for byte`, () => {
      const s = handshake(v);
      expect(s.keyVersion).toBe(v.kvn);
      expect(s.iParameter).toBe(0x70);
      expect(s.sequenceCounter).toBe(parseInt(v.initUpdateRsp.slice(-6), 16));
      const kdd = new Uint8Array(10);
      s.copyKdd(kdd, 0);
      expect(toHex(kdd)).toBe(v.initUpdateRsp.slice(0, 20));

      expect(wrap(s, GET_EID_PLAIN)).toBe(v.getEidCmd);
      expect(unwrap(s, v.getEidRsp + OK)).toBe(GET_EID_RSP_PLAIN + OK);
      expect(wrap(s, CASE1_PLAIN)).toBe(v.case1);
      expect(wrap(s, CASE2_PLAIN)).toBe(v.case2);
      expect(wrap(s, CASE3_PLAIN)).toBe(v.case3);
      expect(wrap(s, CASE4_PLAIN)).toBe(v.case4);
    });
  }

  for (const v of SCP03_VECTORS.filter((r) => r.extAuthCmd.slice(4, 6) !== '03')) {
    it(`${v.name}: a tampered R-MAC or ciphertext is rejected and closes the session`, () => {
      for (const flip of [v.getEidRsp.length / 2 - 1, 0]) {
        const s = handshake(v);
        wrap(s, GET_EID_PLAIN);
        const r = fromHex(v.getEidRsp + OK);
        r[flip] ^= 0x01;
        expect(s.unwrapResponse(r, r.length, new Uint8Array(300))).toBe(SCP03_ERROR.RESPONSE_MAC);
        expect(s.state).toBe('CLOSED');
        expect(s.wrapCommand(fromHex(CASE1_PLAIN), 4, new Uint8Array(64))).toBe(SCP03_ERROR.WRONG_STATE);
      }
    });
  }

  it('an R-MAC level rejects a 9000 answer without R-MAC', () => {
    const s = handshake(SCP03_VECTORS[0]);
    wrap(s, GET_EID_PLAIN);
    expect(unwrap(s, '9000')).toBe(SCP03_ERROR.RESPONSE_MAC);
  });

  it('error status words carry no R-MAC and pass through (AmdD 6.2.5)', () => {
    const s = handshake(SCP03_VECTORS[2]);
    wrap(s, GET_EID_PLAIN);
    expect(unwrap(s, '6a88')).toBe('6a88');
    expect(s.state).toBe('AUTHENTICATED');
  });

  it('wraps in place when the buffer has room', () => {
    const v = SCP03_VECTORS[1];
    const s = handshake(v);
    const buf = new Uint8Array(64);
    const plain = fromHex(GET_EID_PLAIN);
    buf.set(plain);
    const n = s.wrapCommand(buf, plain.length, buf);
    expect(toHex(buf, 0, n)).toBe(v.getEidCmd);
  });

  it('raises a non-zero Le by what R-ENC and R-MAC add', () => {
    const s = handshake(SCP03_VECTORS[2]);
    const wrapped = fromHex(wrap(s, '80ca00660a'));
    expect(wrapped[wrapped.length - 1]).toBe(16 + 8);
  });
});

describe('SCP03 host session refusals', () => {
  const v = SCP03_VECTORS[0];

  function afterInitUpdate(rsp: string): { s: Scp03HostSession; code: number } {
    const s = newSession(v);
    const iu = fromHex(v.initUpdateCmd);
    s.buildInitializeUpdate(iu[2], iu.subarray(5, 13), new Uint8Array(64));
    const r = fromHex(rsp);
    return { s, code: s.parseInitializeUpdateResponse(r, r.length) };
  }

  it('a wrong card cryptogram means wrong keys: CARD_CRYPTOGRAM, session closed', () => {
    const bad = v.initUpdateRsp.slice(0, 42) + (v.initUpdateRsp[42] === '0' ? '1' : '0') + v.initUpdateRsp.slice(43);
    const { s, code } = afterInitUpdate(bad + OK);
    expect(code).toBe(SCP03_ERROR.CARD_CRYPTOGRAM);
    expect(s.state).toBe('CLOSED');
    expect(s.buildExternalAuthenticate(0x01, new Uint8Array(64))).toBe(SCP03_ERROR.WRONG_STATE);
  });

  it('an error status word on INITIALIZE UPDATE is reported with the SW', () => {
    const { s, code } = afterInitUpdate('6a88');
    expect(code).toBe(SCP03_ERROR.CARD_STATUS);
    expect(s.lastSw).toBe(0x6a88);
  });

  it('checks the response length against "i" and the protocol identifier', () => {
    expect(afterInitUpdate(v.initUpdateRsp.slice(0, -2) + OK).code).toBe(SCP03_ERROR.RESPONSE_LENGTH);
    expect(afterInitUpdate(v.initUpdateRsp.slice(0, -6) + OK).code).toBe(SCP03_ERROR.RESPONSE_LENGTH);
    const scp02 = v.initUpdateRsp.slice(0, 22) + '02' + v.initUpdateRsp.slice(24);
    expect(afterInitUpdate(scp02 + OK).code).toBe(SCP03_ERROR.NOT_SCP03);
    const s16 = v.initUpdateRsp.slice(0, 24) + '71' + v.initUpdateRsp.slice(26);
    expect(afterInitUpdate(s16 + OK).code).toBe(SCP03_ERROR.UNSUPPORTED_OPTION);
  });

  it('refuses a card that answers with another key version', () => {
    const other = v.initUpdateRsp.slice(0, 20) + '31' + v.initUpdateRsp.slice(22);
    expect(afterInitUpdate(other + OK).code).toBe(SCP03_ERROR.KVN_MISMATCH);
  });

  it('refuses R-MAC levels when "i" does not offer R-MAC', () => {
    // i = 10: pseudo-random challenge, no R-MAC. The cryptogram does not depend on i.
    const noRmac = v.initUpdateRsp.slice(0, 24) + '10' + v.initUpdateRsp.slice(26);
    const { s, code } = afterInitUpdate(noRmac + OK);
    expect(code).toBe(0);
    expect(s.buildExternalAuthenticate(0x11, new Uint8Array(64))).toBe(SCP03_ERROR.LEVEL_NOT_SUPPORTED);
  });

  it('refuses bad arguments and out-of-order calls', () => {
    const s = new Scp03HostSession(() => new SoftAes());
    const out = new Uint8Array(64);
    const rsp = fromHex(v.initUpdateRsp + OK);
    expect(s.buildInitializeUpdate(0x30, new Uint8Array(8), out)).toBe(14);
    expect(s.parseInitializeUpdateResponse(rsp, rsp.length)).toBe(SCP03_ERROR.NO_KEYS);
    expect(s.setStaticKeys(new Uint8Array(16), new Uint8Array(24), new Uint8Array(16))).toBe(SCP03_ERROR.BAD_ARGUMENT);
    expect(s.setStaticKeys(new Uint8Array(15), new Uint8Array(15), new Uint8Array(15))).toBe(SCP03_ERROR.BAD_ARGUMENT);
    s.setStaticKeys(new Uint8Array(16), new Uint8Array(16), new Uint8Array(16));
    expect(s.buildInitializeUpdate(0x30, new Uint8Array(7), out)).toBe(SCP03_ERROR.BAD_ARGUMENT);
    expect(s.wrapCommand(fromHex(CASE1_PLAIN), 4, out)).toBe(SCP03_ERROR.WRONG_STATE);
    expect(s.unwrapResponse(fromHex(OK), 2, out)).toBe(SCP03_ERROR.WRONG_STATE);
    expect(s.buildExternalAuthenticate(0x01, out)).toBe(SCP03_ERROR.WRONG_STATE);
  });

  it('refuses unknown security levels and commands that do not fit once wrapped', () => {
    const s = handshake(SCP03_VECTORS[1]);
    const big = new Uint8Array(5 + 240);
    big.set([0x80, 0xe8, 0x00, 0x00, 240]);
    expect(s.wrapCommand(big, big.length, new Uint8Array(300))).toBe(SCP03_ERROR.COMMAND_TOO_LONG);
    expect(s.wrapCommand(big, 239 + 5, new Uint8Array(300))).toBe(SCP03_ERROR.MALFORMED_COMMAND);
    big[4] = 239; // the most C-DEC can carry: 239 + 80 padding = 240, + C-MAC = 248
    expect(s.wrapCommand(big, 239 + 5, new Uint8Array(300))).toBe(5 + 248);
    const t = newSession(SCP03_VECTORS[0]);
    const iu = fromHex(SCP03_VECTORS[0].initUpdateCmd);
    t.buildInitializeUpdate(iu[2], iu.subarray(5, 13), new Uint8Array(64));
    const rsp = fromHex(SCP03_VECTORS[0].initUpdateRsp + OK);
    t.parseInitializeUpdateResponse(rsp, rsp.length);
    expect(t.buildExternalAuthenticate(0x13 ^ 0x10 ^ 0x20, new Uint8Array(64))).toBe(SCP03_ERROR.BAD_ARGUMENT);
  });

  it('a failed EXTERNAL AUTHENTICATE closes the session and keeps the SW', () => {
    const s = newSession(v);
    const iu = fromHex(v.initUpdateCmd);
    s.buildInitializeUpdate(iu[2], iu.subarray(5, 13), new Uint8Array(64));
    const rsp = fromHex(v.initUpdateRsp + OK);
    s.parseInitializeUpdateResponse(rsp, rsp.length);
    s.buildExternalAuthenticate(0x11, new Uint8Array(64));
    expect(s.checkExternalAuthenticateResponse(fromHex('6300'), 2)).toBe(SCP03_ERROR.CARD_STATUS);
    expect(s.lastSw).toBe(0x6300);
    expect(s.state).toBe('CLOSED');
  });

  it('wipe() forgets the keys: a new session needs them again', () => {
    const s = handshake(v);
    s.wipe();
    expect(s.state).toBe('CLOSED');
    const iu = fromHex(v.initUpdateCmd);
    s.buildInitializeUpdate(iu[2], iu.subarray(5, 13), new Uint8Array(64));
    const rsp = fromHex(v.initUpdateRsp + OK);
    expect(s.parseInitializeUpdateResponse(rsp, rsp.length)).toBe(SCP03_ERROR.NO_KEYS);
  });

  it('accepts the static keys after INITIALIZE UPDATE (keys diversified over the KDD)', () => {
    const s = new Scp03HostSession(() => new SoftAes());
    const iu = fromHex(v.initUpdateCmd);
    const out = new Uint8Array(64);
    expect(toHex(out, 0, s.buildInitializeUpdate(iu[2], iu.subarray(5, 13), out))).toBe(v.initUpdateCmd);
    s.setStaticKeys(fromHex(v.enc), fromHex(v.mac), fromHex(v.dek));
    const rsp = fromHex(v.initUpdateRsp + OK);
    expect(s.parseInitializeUpdateResponse(rsp, rsp.length)).toBe(0);
    expect(toHex(out, 0, s.buildExternalAuthenticate(0x11, out))).toBe(v.extAuthCmd);
  });
});

describe('scp03HostStep', () => {
  const states: Scp03HostState[] = ['IDLE', 'INIT_SENT', 'CARD_VERIFIED', 'EXT_AUTH_SENT', 'AUTHENTICATED', 'CLOSED'];
  const path: Array<[Scp03HostState, Scp03HostEvent, Scp03HostState]> = [
    ['INIT_SENT', 'CARD_CRYPTOGRAM_OK', 'CARD_VERIFIED'],
    ['CARD_VERIFIED', 'SEND_EXTERNAL_AUTHENTICATE', 'EXT_AUTH_SENT'],
    ['EXT_AUTH_SENT', 'EXTERNAL_AUTHENTICATE_OK', 'AUTHENTICATED'],
    ['AUTHENTICATED', 'PROTECT', 'AUTHENTICATED'],
  ];

  it('follows the handshake and refuses every step out of order', () => {
    for (const [from, event, to] of path) {
      for (const state of states) {
        expect(scp03HostStep(state, event), `${state} + ${event}`).toBe(state === from ? to : 'ILLEGAL');
      }
    }
  });

  it('FAIL and CLOSE end any state; INITIALIZE UPDATE restarts from any state', () => {
    for (const state of states) {
      expect(scp03HostStep(state, 'FAIL')).toBe('CLOSED');
      expect(scp03HostStep(state, 'CLOSE')).toBe('CLOSED');
      expect(scp03HostStep(state, 'SEND_INITIALIZE_UPDATE')).toBe('INIT_SENT');
    }
  });
});
