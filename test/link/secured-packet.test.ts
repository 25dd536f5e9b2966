/**
 * Secured packets (ETSI TS 102 225 §5): the AES vectors against an independent node:crypto
 * AES-CBC / AES-CMAC, the field layout against pySim's published 3DES transcripts, and the
 * receiver's refusals: a replayed, tampered or under-secured packet is refused and changes nothing.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import {
  CMD_AT_CC,
  CMD_AT_CNTR,
  CMD_AT_DATA,
  CMD_AT_PCNTR,
  CMD_AT_SPI,
  CMD_AT_TAR,
  CommandHeader,
  CommandOpener,
  CommandSecurity,
  sealCommand,
} from '../../firmware/src/core/link/command-packet';
import { takeNextCounter } from '../../firmware/src/core/link/counter';
import { POR } from '../../firmware/src/core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings } from '../../firmware/src/core/link/reassembler';
import {
  RESPONSE,
  RSP_AT_CC,
  RSP_AT_CNTR,
  RSP_AT_DATA_SECURED,
  RSP_AT_STATUS,
  ResponseOpener,
  sealClearResponse,
  sealResponse,
} from '../../firmware/src/core/link/response-packet';
import { COMMAND_VECTORS, RESPONSE_VECTORS, TEST_KIC, TEST_KID } from '../../firmware/src/core/link/secured-packet.vectors';
import { Segmenter, SegmenterSettings } from '../../firmware/src/core/link/segmenter';
import { PACKET_COMMAND, PACKET_RESPONSE } from '../../firmware/src/core/link/udh';
import { MemoryCounterStore, keysetFromHex } from './_link-fixtures';

// --- independent reference: node:crypto only -------------------------------------------------

function nodeCbc(algorithm: string, key: Buffer, data: Buffer, decrypt: boolean): Buffer {
  const ivLen = algorithm.startsWith('aes') ? 16 : 8;
  const c = decrypt ? createDecipheriv(algorithm, key, Buffer.alloc(ivLen)) : createCipheriv(algorithm, key, Buffer.alloc(ivLen));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-CMAC per RFC 4493, on OpenSSL's AES-ECB. */
function nodeCmac(key: Buffer, msg: Buffer): Buffer {
  const enc = (b: Buffer): Buffer => nodeCbc('aes-128-cbc', key, b, false);
  const dbl = (b: Buffer): Buffer => {
    const out = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) out[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 0xff;
    if (b[0] & 0x80) out[15] ^= 0x87;
    return out;
  };
  const k1 = dbl(enc(Buffer.alloc(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = Buffer.alloc(16);
  msg.copy(last, 0, (n - 1) * 16);
  if (!complete) last[msg.length - (n - 1) * 16] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i] ^= sub[i];
  let x: Buffer = Buffer.alloc(16);
  for (let b = 0; b < n - 1; b++) {
    const y = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) y[i] = x[i] ^ msg[b * 16 + i];
    x = enc(y);
  }
  for (let i = 0; i < 16; i++) last[i] ^= x[i];
  return enc(last);
}

/** 3DES CBC-MAC as TS 102 225 §5.1.3.1 uses with KID algorithm 5 (pySim OtaAlgoAuthDES3). */
function nodeDes3Mac(key: Buffer, msg: Buffer): Buffer {
  const padded = Buffer.concat([msg, Buffer.alloc((8 - (msg.length % 8)) % 8)]);
  return nodeCbc('des-ede-cbc', key, padded, false).subarray(-8);
}

const hexBuf = (s: string): Buffer => Buffer.from(s, 'hex');

// --- fixtures ---------------------------------------------------------------------------------

function security(counter: MemoryCounterStore, tars: number[] = [0]): CommandSecurity {
  return { acceptsTar: (tar) => tars.includes(tar), keys: keysetFromHex(), counter };
}

function seal(cntr: string, dataHex: string, spi1 = 0x16, tar = 0): Uint8Array {
  const h = new CommandHeader();
  h.spi1 = spi1;
  h.tar = tar;
  const data = fromHex(dataHex);
  const out = new Uint8Array(600);
  return out.slice(0, sealCommand(h, keysetFromHex(), fromHex(cntr), 0, data, 0, data.length, out, 0));
}

function open(packet: Uint8Array, store: MemoryCounterStore, tars?: number[]): { status: number; opener: CommandOpener } {
  const opener = new CommandOpener(600);
  return { status: opener.open(packet, 0, packet.length, security(store, tars)), opener };
}

/** Keeps the CPL right after a length change. */
function withCpl(p: Uint8Array): Uint8Array {
  p[0] = ((p.length - 2) >> 8) & 0xff;
  p[1] = (p.length - 2) & 0xff;
  return p;
}

// --- tests ------------------------------------------------------------------------------------

describe('AES vectors against node:crypto', () => {
  for (const v of COMMAND_VECTORS) {
    it(`command: ${v.name}`, () => {
      const p = hexBuf(v.hex);
      const plain = nodeCbc('aes-128-cbc', hexBuf(TEST_KIC), p.subarray(CMD_AT_CNTR), true);
      expect(plain.subarray(0, 5).toString('hex')).toBe(v.cntr);
      const body = plain.subarray(CMD_AT_DATA - CMD_AT_CNTR);
      expect(body.subarray(0, body.length - v.pcntr).toString('hex')).toBe(v.data);
      expect(body.subarray(body.length - v.pcntr).equals(Buffer.alloc(v.pcntr))).toBe(true);
      const macInput = Buffer.concat([p.subarray(0, CMD_AT_CNTR), plain.subarray(0, CMD_AT_CC - CMD_AT_CNTR), body]);
      const cc = plain.subarray(CMD_AT_CC - CMD_AT_CNTR, CMD_AT_DATA - CMD_AT_CNTR);
      expect(cc.toString('hex')).toBe(nodeCmac(hexBuf(TEST_KID), macInput).subarray(0, 8).toString('hex'));
    });
  }
  for (const v of RESPONSE_VECTORS.filter((x) => x.secured)) {
    it(`response: ${v.name}`, () => {
      const p = hexBuf(v.hex);
      const plain = nodeCbc('aes-128-cbc', hexBuf(TEST_KIC), p.subarray(RSP_AT_CNTR), true);
      const body = plain.subarray(RSP_AT_DATA_SECURED - RSP_AT_CNTR);
      const macInput = Buffer.concat([hexBuf('027100'), p.subarray(0, RSP_AT_CNTR), plain.subarray(0, RSP_AT_CC - RSP_AT_CNTR), body]);
      const cc = plain.subarray(RSP_AT_CC - RSP_AT_CNTR, RSP_AT_DATA_SECURED - RSP_AT_CNTR);
      expect(cc.toString('hex')).toBe(nodeCmac(hexBuf(TEST_KID), macInput).subarray(0, 8).toString('hex'));
      expect(plain[RSP_AT_STATUS - RSP_AT_CNTR]).toBe(v.status);
    });
  }
});

describe('field layout on pySim transcripts (docs/smpp-ota-tool.rst, sysmoISIM-SJA2, 3DES keyset 1)', () => {
  const KIC = hexBuf('F09C43EE1A0391665CC9F05AF4E0BD10');
  const KID = hexBuf('01981F4A20999F62AF99988107BAF6CA');

  it('command packets: CC over CPL..PCNTR || data || padding, ciphered from CNTR, zero padding', () => {
    const sent = [
      { tpdu: '02700000281506191515b00010da1d6cbbd0d11ce4330d844c7408340943e843f67a6d7b0674730881605fd62d', cntr: '0000000000' },
      { tpdu: '02700000281516191515b000103a4f599e94f2b5dcfbbda984761b7977df6514c57a580fb4844787c436d2eade', cntr: '0000000064' },
    ];
    for (const s of sent) {
      const p = hexBuf(s.tpdu).subarray(3);
      expect(p.readUInt16BE(0) + 2).toBe(p.length);
      expect(p.subarray(CMD_AT_TAR, CMD_AT_TAR + 3).toString('hex')).toBe('b00010');
      const plain = nodeCbc('des-ede-cbc', KIC, p.subarray(CMD_AT_CNTR), true);
      expect(plain.subarray(0, 5).toString('hex')).toBe(s.cntr);
      const pcntr = plain[CMD_AT_PCNTR - CMD_AT_CNTR];
      const body = plain.subarray(CMD_AT_DATA - CMD_AT_CNTR);
      expect(body.subarray(0, body.length - pcntr).toString('hex')).toBe('a0a40000027f20a0c0000016');
      const cc = plain.subarray(CMD_AT_CC - CMD_AT_CNTR, CMD_AT_DATA - CMD_AT_CNTR);
      const macInput = Buffer.concat([p.subarray(0, CMD_AT_CNTR), plain.subarray(0, CMD_AT_CC - CMD_AT_CNTR), body]);
      expect(cc.toString('hex')).toBe(nodeDes3Mac(KID, macInput).toString('hex'));
    }
  });

  it('PoR: CC over 02 71 00 || RPL..STATUS || data, ciphered from CNTR', () => {
    const por = hexBuf('027100002c12b000107ddf58d1780f771638b3975759f4296cf5c31efc87a16a1b61921426baa16da1b5ba1a9951d59a39');
    const p = por.subarray(3);
    const plain = nodeCbc('des-ede-cbc', KIC, p.subarray(RSP_AT_CNTR), true);
    expect(plain[RSP_AT_STATUS - RSP_AT_CNTR]).toBe(POR.OK);
    const body = plain.subarray(RSP_AT_DATA_SECURED - RSP_AT_CNTR);
    expect(body.toString('hex')).toBe('0290000000ffff7f2002000000000009b106350400838a838a');
    const cc = plain.subarray(RSP_AT_CC - RSP_AT_CNTR, RSP_AT_DATA_SECURED - RSP_AT_CNTR);
    const macInput = Buffer.concat([por.subarray(0, 3), p.subarray(0, RSP_AT_CNTR), plain.subarray(0, RSP_AT_CC - RSP_AT_CNTR), body]);
    expect(cc.toString('hex')).toBe(nodeDes3Mac(KID, macInput).toString('hex'));
  });
});

describe('CommandOpener refusals', () => {
  it('accepts a fresh packet, stores its counter, and refuses the replay with CNTR low and no state change', () => {
    const store = new MemoryCounterStore('0000000004');
    const p = seal('0000000005', '80f28000024f00');
    const first = open(p, store);
    expect(first.status).toBe(POR.OK);
    expect(toHex(first.opener.data, first.opener.dataOff, first.opener.dataLen)).toBe('80f28000024f00');
    expect(store.hex()).toBe('0000000005');
    expect(store.writes).toBe(1);

    const replay = open(p, store);
    expect(replay.status).toBe(POR.CNTR_LOW);
    expect(replay.opener.dataLen).toBe(0);
    expect(replay.opener.data.every((b) => b === 0)).toBe(true);
    expect(store.hex()).toBe('0000000005');
    expect(store.writes).toBe(1);
  });

  it('refuses a lower counter (02), a gap under "exactly one higher" (03) and a spent counter (04)', () => {
    expect(open(seal('0000000003', '00'), new MemoryCounterStore('0000000004')).status).toBe(POR.CNTR_LOW);
    expect(open(seal('0000000006', '00', 0x1e), new MemoryCounterStore('0000000004')).status).toBe(POR.CNTR_HIGH);
    expect(open(seal('0000000005', '00', 0x1e), new MemoryCounterStore('0000000004')).status).toBe(POR.OK);
    expect(open(seal('ffffffffff', '00'), new MemoryCounterStore('ffffffffff')).status).toBe(POR.CNTR_BLOCKED);
    // Counters compare as 40-bit numbers, beyond the core's 31-bit integers.
    expect(open(seal('0100000000', '00'), new MemoryCounterStore('00ffffffff')).status).toBe(POR.OK);
  });

  it('refuses a tampered ciphertext, header or checksum with RC/CC/DS failed and no state change', () => {
    const good = seal('0000000001', '80f28000024f00');
    const spots = [CMD_AT_CNTR, CMD_AT_CC + 2, CMD_AT_DATA + 1, good.length - 1, CMD_AT_SPI + 1];
    for (const at of spots) {
      const bad = good.slice();
      bad[at] ^= 0x04;
      const store = new MemoryCounterStore();
      const r = open(bad, store);
      expect(r.status, `flip at ${at}`).toBe(POR.RC_CC_DS_FAILED);
      expect(r.opener.authenticated).toBe(false);
      expect(store.writes).toBe(0);
      expect(r.opener.data.every((b) => b === 0)).toBe(true);
    }
  });

  it('refuses a packet under other keys with RC/CC/DS failed', () => {
    const store = new MemoryCounterStore();
    const opener = new CommandOpener(600);
    const p = seal('0000000001', '00');
    const other = keysetFromHex(TEST_KIC, '00'.repeat(16));
    expect(opener.open(p, 0, p.length, { acceptsTar: () => true, keys: other, counter: store })).toBe(POR.RC_CC_DS_FAILED);
    expect(store.writes).toBe(0);
  });

  it('answers TAR unknown (09), insufficient security level (0A), unknown key set (06), ciphering error (05)', () => {
    const store = new MemoryCounterStore();
    expect(open(seal('0000000001', '00', 0x16, 0xb00010), store).status).toBe(POR.TAR_UNKNOWN);

    const weak = seal('0000000001', '00');
    weak[CMD_AT_SPI] = 0x06; // CC + ciphering but no counter: below the link's level
    expect(open(weak, store).status).toBe(POR.INSUFFICIENT_SECURITY_LEVEL);

    const otherKey = seal('0000000001', '00');
    otherKey[5] = 0x22; // KIc key index 2
    expect(open(otherKey, store).status).toBe(POR.UNIDENTIFIED_SECURITY_ERROR);

    const cut = withCpl(seal('0000000001', '00'.repeat(20)).slice(0, -3));
    expect(open(cut, store).status).toBe(POR.CIPHERING_ERROR);

    const wrongCpl = seal('0000000001', '00');
    wrongCpl[1] ^= 1;
    expect(open(wrongCpl, store).status).toBe(POR.UNIDENTIFIED_SECURITY_ERROR);
    expect(open(fromHex('0003150000'), store).status).toBe(POR.UNIDENTIFIED_SECURITY_ERROR);
    expect(store.writes).toBe(0);
  });

  it('refuses to seal below the link security level', () => {
    expect(() => seal('0000000001', '00', 0x06)).toThrow(/security level/);
  });
});

describe('ResponseOpener', () => {
  const keys = keysetFromHex();
  const out = new Uint8Array(300);

  it('verifies a secured PoR and refuses a tampered one', () => {
    const n = sealResponse(keys, 0x000000, fromHex('0000000009'), 0, POR.OK, fromHex('019000'), 0, 3, out, 0);
    const opener = new ResponseOpener(300);
    expect(opener.open(out, 0, n, keys)).toBe(RESPONSE.VERIFIED);
    expect(toHex(opener.cntr)).toBe('0000000009');
    expect(toHex(opener.data, opener.dataOff, opener.dataLen)).toBe('019000');
    out[RSP_AT_CNTR + 3] ^= 1;
    expect(opener.open(out, 0, n, keys)).toBe(RESPONSE.CHECKSUM_FAILED);
    expect(opener.dataLen).toBe(0);
  });

  it('reads a clear refusal but never trusts a clear PoR claiming success', () => {
    const opener = new ResponseOpener(300);
    const n = sealClearResponse(0, POR.CNTR_LOW, out, 0);
    expect(opener.open(out, 0, n, keys)).toBe(RESPONSE.CLEAR);
    expect(opener.status).toBe(POR.CNTR_LOW);
    out[RSP_AT_STATUS] = POR.OK;
    expect(opener.open(out, 0, n, keys)).toBe(RESPONSE.UNSECURED_SUCCESS);
    expect(() => sealClearResponse(0, POR.OK, out, 0)).toThrow();
  });

  it('opens into a buffer it shares with a CommandOpener, and refuses one smaller than its packets', () => {
    const shared = new Uint8Array(300);
    const opener = new ResponseOpener(300, shared);
    const n = sealResponse(keys, 0x000000, fromHex('000000000a'), 0, POR.OK, fromHex('6a82'), 0, 2, out, 0);
    expect(opener.open(out, 0, n, keys)).toBe(RESPONSE.VERIFIED);
    expect(opener.data).toBe(shared);
    expect(toHex(shared, opener.dataOff, opener.dataLen)).toBe('6a82');
    expect(new CommandOpener(300, shared).data).toBe(shared);
    expect(() => new ResponseOpener(300, new Uint8Array(299))).toThrow(/data buffer of 299 bytes/);
    expect(() => new CommandOpener(300, new Uint8Array(10))).toThrow(/data buffer of 10 bytes/);
  });
});

describe('end to end through segmentation', () => {
  it('a long command crosses the link out of order and its PoR comes back', () => {
    const senderCounter = new MemoryCounterStore('00000000fe');
    const cntr = new Uint8Array(5);
    expect(takeNextCounter(senderCounter, new Uint8Array(5), cntr, 0)).toBe(true);
    expect(toHex(cntr)).toBe('00000000ff');
    const data = new Uint8Array(400).map((_, i) => i & 0xff);
    const h = new CommandHeader();
    const pkt = new Uint8Array(1200);
    const len = sealCommand(h, keys(), cntr, 0, data, 0, data.length, pkt, 0);

    const seg = new Segmenter(new SegmenterSettings());
    const n = seg.begin(pkt, 0, len, PACKET_COMMAND, 0x77);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < n; i++) frames.push(seg.next()!.slice());
    expect(frames.length).toBe(4);
    frames.reverse();
    frames.splice(1, 0, frames[2]); // one duplicate on the way

    const rx = new Reassembler(new ReassemblerSettings());
    const codes = frames.map((f) => rx.push(f, 0, f.length, 0));
    expect(codes).toContain(REASSEMBLY.DUPLICATE);
    expect(codes.at(-1)).toBe(REASSEMBLY.COMPLETE);
    expect(rx.packetKind).toBe(PACKET_COMMAND);

    const receiverCounter = new MemoryCounterStore('00000000fe');
    const opener = new CommandOpener(1200);
    expect(opener.open(rx.packet, 0, rx.packetLength, security(receiverCounter))).toBe(POR.OK);
    expect(opener.data.subarray(opener.dataOff, opener.dataOff + opener.dataLen)).toEqual(data);

    const por = new Uint8Array(200);
    const porLen = sealResponse(keys(), opener.tar, opener.cntr, 0, POR.OK, fromHex('019000'), 0, 3, por, 0);
    seg.begin(por, 0, porLen, PACKET_RESPONSE, 0x78);
    const f = seg.next()!;
    const back = new Reassembler(new ReassemblerSettings());
    expect(back.push(f, 0, f.length, 0)).toBe(REASSEMBLY.COMPLETE);
    const ro = new ResponseOpener(200);
    expect(ro.open(back.packet, 0, back.packetLength, keys())).toBe(RESPONSE.VERIFIED);
    expect(toHex(ro.cntr)).toBe('00000000ff');
  });

  function keys() {
    return keysetFromHex();
  }
});
