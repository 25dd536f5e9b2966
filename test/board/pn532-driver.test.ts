/**
 * The firmware's PN532 driver (firmware/src/board/espruino) against the emulator's virtual PN532
 * (host/emulator/virtual-pn532.ts), byte for byte on the I2C wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/src/core/hex';
import { LINK, type LinkTiming } from '../../firmware/src/board/espruino/pn532-link';
import { Pn532, type Pn532Timing } from '../../firmware/src/board/espruino/pn532';
import { CardEmulation, type ContactlessCard } from '../../firmware/src/board/espruino/card-emulation';
import { VECTORS } from '../../firmware/src/core/pn532/frame.vectors';
import { pdOffsetFor } from '../../firmware/src/core/pn532/frame';
import { VirtualPn532 } from '../../host/emulator/virtual-pn532';

const LINK_TIMING: LinkTiming = { pollMs: 1, waitPollMs: 1, ackTimeoutMs: 20, ackAttempts: 3, nackAttempts: 3 };
const TIMING: Pn532Timing = { link: LINK_TIMING, commandTimeoutMs: 50, resetPulseMs: 1, resetSettleMs: 1 };
const TARGET = {
  sensRes: Uint8Array.of(0x04, 0x00),
  nfcid1t: Uint8Array.of(0x01, 0x02, 0x03),
  historical: Uint8Array.of(0x80, 0x54, 0x43),
  historicalLength: 3,
};
const ACK = '0000ff00ff00';
const NACK = '0000ffff0000';

function setup() {
  const chip = new VirtualPn532();
  const bus = {
    writeTo: (address: number, data: Uint8Array) => {
      expect(address).toBe(0x24);
      chip.write(data);
    },
    readFrom: (address: number, n: number) => {
      expect(address).toBe(0x24);
      return chip.read(n);
    },
  };
  const pn532 = new Pn532(bus, 0x24, { write: (level: boolean) => chip.setResetLine(level) }, TIMING);
  return { chip, pn532 };
}

const call = (fn: (done: (r: number) => void) => void) => new Promise<number>((resolve) => fn(resolve));

/** Waits (without asserting any duration) until cond holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > limit) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function wire(chip: VirtualPn532): string[] {
  return chip.wire.map((f) => `${f.from} ${toHex(f.bytes)}`);
}

describe('PN532 driver over I2C against the virtual PN532', () => {
  it('GetFirmwareVersion: command frame, ACK, response frame byte for byte (PN532 User Manual §6.2.1)', async () => {
    const { chip, pn532 } = setup();
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.OK);
    expect(pn532.firmware).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
    expect(wire(chip)).toEqual([`host ${VECTORS[0].hex}`, `chip ${ACK}`, `chip ${VECTORS[1].hex}`]);
  });

  it('SAMConfiguration: normal mode, 1 s timeout, IRQ on', async () => {
    const { chip, pn532 } = setup();
    expect(await call((d) => pn532.samConfiguration(d))).toBe(LINK.OK);
    expect(wire(chip)).toEqual([`host ${VECTORS[2].hex}`, `chip ${ACK}`, `chip ${VECTORS[3].hex}`]);
  });

  it('answers a response with a bad checksum with a NACK and takes the resent frame', async () => {
    const { chip, pn532 } = setup();
    chip.corruptNextResponse();
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.OK);
    expect(pn532.link.counters.nacksSent).toBe(1);
    const w = wire(chip);
    expect(w).toContain(`host ${NACK}`);
    expect(w[w.length - 1]).toBe(`chip ${VECTORS[1].hex}`);
  });

  it('resends a command the chip did not ACK', async () => {
    const { chip, pn532 } = setup();
    chip.dropNextAck();
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.OK);
    expect(pn532.link.counters.resends).toBe(1);
    expect(wire(chip).filter((l) => l === `host ${VECTORS[0].hex}`)).toHaveLength(2);
  });

  it('gives up with NO_ACK when the chip stops answering, and a reset pulse brings it back', async () => {
    const { chip, pn532 } = setup();
    chip.hang();
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.NO_ACK);
    expect(pn532.link.counters.resends).toBe(LINK_TIMING.ackAttempts - 1);
    expect(await call((d) => pn532.hardReset(d))).toBe(LINK.OK);
    expect(chip.resets).toBe(1);
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.OK);
  });

  it('times out a command that is ACKed but never answered, and aborts it with an ACK', async () => {
    const { chip, pn532 } = setup();
    chip.stallNextResponse();
    expect(await call((d) => pn532.samConfiguration(d))).toBe(LINK.TIMEOUT);
    expect(wire(chip).slice(-1)).toEqual([`host ${ACK}`]);
    expect(await call((d) => pn532.samConfiguration(d))).toBe(LINK.OK);
  });

  it('reports an absent chip as NO_ACK with the bus error text', async () => {
    const { chip, pn532 } = setup();
    chip.absent = true;
    expect(await call((d) => pn532.getFirmwareVersion(d))).toBe(LINK.NO_ACK);
    expect(pn532.link.lastBusError).toMatch(/no ACK from device 0x24/);
  });

  it('rejects a second command while one is running', async () => {
    const { pn532 } = setup();
    const first = call((d) => pn532.getFirmwareVersion(d));
    expect(await call((d) => pn532.samConfiguration(d))).toBe(LINK.BUSY);
    expect(await first).toBe(LINK.OK);
  });

  it('reports the chip syntax-error frame for a command it does not know', async () => {
    const { chip, pn532 } = setup();
    const n = 1;
    pn532.link.tx[pdOffsetFor(n)] = 0x7e;
    expect(await call((d) => pn532.link.send(n, 4, 50, d))).toBe(LINK.ERROR_FRAME);
    expect(wire(chip).slice(-1)).toEqual(['chip 0000ff01ff7f8100']);
  });
});

describe('card emulation loop (TgInitAsTarget / TgGetData / TgSetData)', () => {
  const running: CardEmulation[] = [];
  afterEach(() => {
    for (const em of running.splice(0)) em.stop();
  });

  type Transceive = ContactlessCard['transceive'];

  /** A card around a transceive function that also counts field-on resets and power-offs. */
  function cardOf(transceive: Transceive): ContactlessCard & { resets: number; powerOffs: number } {
    const card = {
      resets: 0,
      powerOffs: 0,
      reset: () => card.resets++,
      powerOff: () => {
        card.powerOffs++;
      },
      transceive,
    };
    return card;
  }

  function start(transceive: Transceive, idleCheckMs = 60000) {
    const { chip, pn532 } = setup();
    const card = cardOf(transceive);
    const emulation = new CardEmulation(pn532, TARGET, card, 1024, 1024, { idleCheckMs, recoveryDelayMs: 1, maxRecoveryDelayMs: 4 });
    running.push(emulation);
    emulation.start();
    return { chip, pn532, emulation, card };
  }

  const echoWith9000: Transceive = (cmd, len, rsp) => {
    for (let i = 0; i < len; i++) rsp[i] = cmd[i];
    rsp[len] = 0x90;
    rsp[len + 1] = 0x00;
    return len + 2;
  };

  it('arms as an ISO 14443-4 target with our historical bytes and answers APDUs through the handler', async () => {
    const { chip, emulation: em } = start(echoWith9000);
    await until(() => chip.armed, 'TgInitAsTarget');
    expect(toHex(chip.historical)).toBe('805443');
    chip.activate();
    const rsp = await chip.transceive(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x00));
    expect(toHex(rsp)).toBe('00a40400009000');
    await until(() => em.counters.apdus === 1, 'TgSetData status read');
    expect(em.counters).toMatchObject({ apdus: 1, activations: 1, resets: 1 });
    const hostFrames = chip.wire.filter((f) => f.from === 'host').map((f) => toHex(f.bytes));
    // TgSetData with the R-APDU: LEN 09, LCS F7, D4 8E 00A4040000 9000, DCS 66
    expect(hostFrames).toContain('0000ff09f7d48e00a404000090006600');
  });

  it('chains a 600-byte C-APDU (MI on TgGetData) and a 600-byte R-APDU (TgSetMetaData parts)', async () => {
    let seen = 0;
    const { chip } = start((cmd, len, rsp) => {
      seen = len;
      for (let i = 0; i < 598; i++) rsp[i] = (cmd[i] + 1) & 0xff;
      rsp[598] = 0x90;
      rsp[599] = 0x00;
      return 600;
    });
    await until(() => chip.armed, 'TgInitAsTarget');
    chip.activate();
    const command = new Uint8Array(600).map((_, i) => i & 0xff);
    const rsp = await chip.transceive(command);
    expect(seen).toBe(600);
    expect(rsp.length).toBe(600);
    expect(rsp[0]).toBe(1);
    expect(rsp[597]).toBe((597 + 1) & 0xff);
    expect(toHex(rsp.subarray(598))).toBe('9000');
    const codes = chip.wire.filter((f) => f.from === 'host' && f.bytes.length > 8).map((f) => {
      const extended = f.bytes[3] === 0xff && f.bytes[4] === 0xff;
      return f.bytes[extended ? 9 : 6];
    });
    expect(codes.filter((c) => c === 0x86)).toHaveLength(3); // 262 + 262 + 76 bytes
    expect(codes.filter((c) => c === 0x94)).toHaveLength(2); // 262 + 262 with MI
    expect(codes.filter((c) => c === 0x8e)).toHaveLength(1); // last 76
  });

  it('answers 6F00 when the handler throws, and keeps serving', async () => {
    let calls = 0;
    const { chip, emulation: em } = start((cmd, len, rsp) => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return echoWith9000(cmd, len, rsp);
    });
    await until(() => chip.armed, 'TgInitAsTarget');
    chip.activate();
    expect(toHex(await chip.transceive(Uint8Array.of(0x80, 0xca, 0x00, 0x00)))).toBe('6f00');
    expect(toHex(await chip.transceive(Uint8Array.of(0x80, 0xca, 0x00, 0x00)))).toBe('80ca00009000');
    expect(em.counters.cardErrors).toBe(1);
    expect(em.lastError).toMatch(/boom/);
  });

  it('goes back to listening when the reader releases the card, resetting the card on each activation', async () => {
    const { chip, emulation: em, card } = start(echoWith9000);
    await until(() => chip.armed, 'TgInitAsTarget');
    chip.activate();
    await chip.transceive(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x00));
    chip.release();
    await until(() => chip.armed && !chip.activated, 'TgInitAsTarget again');
    expect(em.state).toBe('listening');
    chip.activate();
    expect(toHex(await chip.transceive(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x01)))).toBe('00b00000019000');
    expect(em.counters.activations).toBe(2);
    expect(card.resets).toBe(2);
    expect(card.powerOffs).toBe(1);
  });

  it('recovers a chip that stopped answering: idle check fails, RSTPDN reset, armed again', async () => {
    const { chip, emulation: em } = start(echoWith9000, 30);
    await until(() => chip.armed, 'TgInitAsTarget');
    chip.hang();
    await until(() => chip.resets >= 2 && chip.armed, 'reset and re-arm');
    expect(em.counters.resets).toBeGreaterThanOrEqual(2);
    expect(em.lastError).toBe('NO_ACK');
    chip.activate();
    expect(toHex(await chip.transceive(Uint8Array.of(0x00, 0x84, 0x00, 0x00, 0x08)))).toBe('00840000089000');
  });
});
