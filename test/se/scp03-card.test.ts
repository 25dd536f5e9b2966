/**
 * Card side of SCP03 against the pySim transcripts (the pySim SCP03 test transcripts, osmocom/pysim tests/unittests/test_globalplatform.py; osmocom/pysim
 * tests/unittests/test_globalplatform.py): the card must accept exactly the host's wrapped
 * commands and produce exactly the recorded R-MAC / R-ENC responses.
 */
import { describe, expect, it } from 'vitest';
import { CommandApdu, parseCommand } from '../../firmware/src/core/apdu';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { Cmac } from '../../firmware/src/core/crypto/cmac';
import { DERIVE_S_ENC, DERIVE_S_MAC, DERIVE_S_RMAC, scp03Derive } from '../../firmware/src/core/crypto/kdf';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { INIT_UPDATE_RESPONSE_LEN, Scp03CardSession } from '../../firmware/src/core/se/scp03-card';
import { SW } from '../../firmware/src/core/sw';

const K_ENC = fromHex('000102030405060708090a0b0c0d0e0f');
const K_MAC = fromHex('101112131415161718191a1b1c1d1e1f');

interface Row {
  name: string;
  hostChallenge: string;
  initUpdateResponse: string;
  extAuth: string;
  /** wrapped command -> plain data expected after unwrap */
  commands: { wrapped: string; plainData: string }[];
  /** plain response data, SW 9000 -> expected wrapped response data */
  response?: { plain: string; wrapped: string };
}

const ROWS: Row[] = [
  {
    name: 'AES-128 SL 11 (C-MAC + R-MAC)',
    hostChallenge: 'b13e5f938fc108c4',
    initUpdateResponse: '000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002',
    extAuth: '84821100107d5f5826a993ebc89eea24957fa0b3ce',
    commands: [{ wrapped: '84e291000ebf3e035c015a558d036518a2829700', plainData: 'bf3e035c015a' }],
    response: {
      plain: 'bf3e125a1089882119900000000000000000000005',
      wrapped: 'bf3e125a1089882119900000000000000000000005971be68992dbbdfa',
    },
  },
  {
    name: 'AES-128 SL 03 (C-DEC + C-MAC)',
    hostChallenge: '8e1552d0513c60f3',
    initUpdateResponse: '0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001',
    extAuth: '8482030010fd4721a14d9b07003c451d2f8ae6bb21',
    commands: [
      { wrapped: '84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00', plainData: 'bf3e035c015a' },
      { wrapped: '84f2200208c9811b11f1264cf1', plainData: '' },
      { wrapped: '84ca006608e10ab60b3054798800', plainData: '' },
      { wrapped: '84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e', plainData: '4f0212345c054f9f70c5' },
      { wrapped: '84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800', plainData: '4f00' },
    ],
  },
  {
    name: 'AES-128 SL 33 (C-DEC + C-MAC + R-ENC + R-MAC)',
    hostChallenge: 'fdf38259a1e0de44',
    initUpdateResponse: '000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003',
    extAuth: '84823300108c36f96bcc00724a4e13ad591d7da3f0',
    commands: [{ wrapped: '84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00', plainData: 'bf3e035c015a' }],
    response: {
      plain: 'bf3e125a1089882119900000000000000000000005',
      wrapped: 'f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9',
    },
  },
];

function sessionKeys(hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  const ctx = new Uint8Array(16);
  ctx.set(hostChallenge, 0);
  ctx.set(cardChallenge, 8);
  const keys = new Uint8Array(48);
  const enc = new SoftAes();
  enc.setKey(K_ENC, 0, 16);
  scp03Derive(new Cmac(enc), DERIVE_S_ENC, ctx, 0, 16, 128, keys, 0);
  const mac = new SoftAes();
  mac.setKey(K_MAC, 0, 16);
  const m = new Cmac(mac);
  scp03Derive(m, DERIVE_S_MAC, ctx, 0, 16, 128, keys, 16);
  scp03Derive(m, DERIVE_S_RMAC, ctx, 0, 16, 128, keys, 32);
  return keys;
}

function openSession(row: Row): Scp03CardSession {
  const resp = fromHex(row.initUpdateResponse);
  const session = new Scp03CardSession(() => new SoftAes());
  const out = new Uint8Array(INIT_UPDATE_RESPONSE_LEN);
  const cardChallenge = resp.subarray(13, 21);
  const host = fromHex(row.hostChallenge);
  session.begin(sessionKeys(host, cardChallenge), 16, resp.subarray(0, 10), 0x30, 0x70, host, 0, cardChallenge, resp, 29, out);
  expect(toHex(out)).toBe(row.initUpdateResponse);
  return session;
}

function parse(hex: string): CommandApdu {
  const b = fromHex(hex);
  const cmd = new CommandApdu();
  expect(parseCommand(b, b.length, cmd)).toBe(0);
  return cmd;
}

describe.each(ROWS)('SCP03 card side: $name', (row) => {
  it('computes the recorded card cryptogram and accepts the host EXTERNAL AUTHENTICATE', () => {
    const s = openSession(row);
    expect(s.externalAuthenticate(parse(row.extAuth))).toBe(SW.OK);
    expect(s.state).toBe('AUTHENTICATED');
  });

  it('unwraps every recorded command to its plain data', () => {
    const s = openSession(row);
    s.externalAuthenticate(parse(row.extAuth));
    for (const c of row.commands) {
      const cmd = parse(c.wrapped);
      expect(s.unwrapCommand(cmd), c.wrapped).toBe(0);
      expect(toHex(cmd.buf, cmd.dataOff, cmd.lc)).toBe(c.plainData);
      expect(cmd.cla & 0x04).toBe(0);
    }
  });

  it('rejects a tampered C-MAC with 6982 and closes the session', () => {
    const s = openSession(row);
    s.externalAuthenticate(parse(row.extAuth));
    const bad = fromHex(row.commands[0].wrapped);
    bad[bad.length - 2] ^= 0x01;
    const cmd = new CommandApdu();
    parseCommand(bad, bad.length, cmd);
    expect(s.unwrapCommand(cmd)).toBe(SW.ERR_SECURITY_STATUS);
    expect(s.state).toBe('IDLE');
    // Even the genuine command is refused afterwards: the session is gone.
    expect(s.unwrapCommand(parse(row.commands[0].wrapped))).toBe(SW.ERR_SECURITY_STATUS);
  });

  it('answers 6300 to a wrong host cryptogram (with a valid MAC it cannot forge, the MAC fails first: 6982)', () => {
    const s = openSession(row);
    const bad = fromHex(row.extAuth);
    bad[5] ^= 0x80;
    const cmd = new CommandApdu();
    parseCommand(bad, bad.length, cmd);
    expect(s.externalAuthenticate(cmd)).toBe(SW.ERR_SECURITY_STATUS);
    expect(s.state).toBe('IDLE');
  });
});

describe.each(ROWS.filter((r) => r.response !== undefined))('SCP03 card side responses: $name', (row) => {
  it('wraps the recorded response', () => {
    const s = openSession(row);
    s.externalAuthenticate(parse(row.extAuth));
    s.unwrapCommand(parse(row.commands[0].wrapped));
    const buf = new Uint8Array(256);
    const plain = fromHex(row.response!.plain);
    buf.set(plain);
    const n = s.wrapResponse(buf, plain.length, SW.OK);
    expect(toHex(buf, 0, n)).toBe(row.response!.wrapped);
  });

});
