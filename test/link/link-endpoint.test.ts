/**
 * Two LinkEndpoints back to back, as the MCU and the platform run them: a request becomes a
 * command at the other end, its answer comes back as the PoR echoing TAR and counter; a copy of a
 * command is answered with the same PoR and changes nothing, an older one is refused; a verified
 * PoR for a counter never sent is refused.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/src/core/hex';
import {
  LinkEndpoint, RECEIVED_COMMAND, RECEIVED_NOTHING, RECEIVED_POR, REQUEST_SENT, REQUEST_TOO_LONG,
} from '../../firmware/src/core/link/link-endpoint';
import { LINK_COMMAND_REFUSED, LINK_COPY, LINK_POR_REFUSED } from '../../firmware/src/core/link/link-notes';
import { POR } from '../../firmware/src/core/link/por-status';
import { COPY_OF_EARLIER, COPY_OF_LAST } from '../../firmware/src/core/link/answered-command';
import { MemoryCounterStore, keysetFromHex } from './_link-fixtures';

const TAR = 0x544d01;

class End {
  readonly frames: Uint8Array[] = [];
  readonly notes: [number, number][] = [];
  readonly send = new MemoryCounterStore();
  readonly receiveCounter = new MemoryCounterStore();
  readonly ep: LinkEndpoint;

  constructor() {
    this.ep = new LinkEndpoint(
      keysetFromHex(),
      this.send,
      this.receiveCounter,
      { acceptsTar: (tar) => tar === TAR },
      { sendFrame: (f) => this.frames.push(f.slice()), tell: (note, value) => this.notes.push([note, value]) },
      300,
      140,
      8,
      2,
      1,
    );
  }

  /** Takes the frames this end sent so far. */
  take(): Uint8Array[] {
    return this.frames.splice(0);
  }

  /** Feeds frames; returns the last RECEIVED_* code. */
  feed(frames: Uint8Array[]): number {
    let got = RECEIVED_NOTHING;
    for (const f of frames) got = this.ep.receive(f, f.length, 0);
    return got;
  }
}

/** The device answers the command it just got with its data reversed. */
function answerReversed(d: End): string {
  const c = d.ep.command;
  const data = c.data.slice(c.dataOff, c.dataOff + c.dataLen).reverse();
  d.ep.answer(c.tar, c.cntr, 0, c.spi2 & 3, data, 0, data.length);
  return toHex(data);
}

describe('LinkEndpoint', () => {
  it('carries a request and its PoR both ways, the PoR echoing the counter sent', () => {
    const platform = new End();
    const device = new End();
    const big = Uint8Array.from({ length: 260 }, (_, i) => i & 0xff);
    expect(platform.ep.request(TAR, big, 0, big.length)).toBe(REQUEST_SENT);
    const command = platform.take();
    expect(command.length).toBeGreaterThan(1);
    expect(device.feed(command)).toBe(RECEIVED_COMMAND);
    expect(toHex(device.ep.command.data.subarray(device.ep.command.dataOff, device.ep.command.dataOff + device.ep.command.dataLen))).toBe(toHex(big));
    device.ep.answer(TAR, device.ep.command.cntr, 0, device.ep.command.spi2 & 3, Uint8Array.of(0x90, 0x00), 0, 2);
    device.ep.forget();
    expect(device.ep.command.data.every((b) => b === 0)).toBe(true);
    expect(platform.feed(device.take())).toBe(RECEIVED_POR);
    expect(platform.ep.porVerified).toBe(true);
    expect(toHex(platform.ep.por.cntr)).toBe(toHex(platform.ep.sentCntr));
    expect(platform.ep.por.status).toBe(POR.OK);
    expect(toHex(platform.ep.por.data.subarray(platform.ep.por.dataOff, platform.ep.por.dataOff + platform.ep.por.dataLen))).toBe('9000');
  });

  it('answers a copy of the last command with the same PoR, drops a copy of an earlier one, refuses an older one; no counter moves', () => {
    const platform = new End();
    const device = new End();
    const sent: Uint8Array[][] = [];
    const pors: string[] = [];
    for (let i = 0; i < 6; i++) {
      platform.ep.request(TAR, Uint8Array.of(i, 0xaa), 0, 2);
      sent.push(platform.take());
      expect(device.feed(sent[i])).toBe(RECEIVED_COMMAND);
      answerReversed(device);
      pors.push(device.take().map((f) => toHex(f)).join());
    }
    const writes = device.receiveCounter.writes;

    expect(device.feed(sent[5])).toBe(RECEIVED_NOTHING);
    expect(device.take().map((f) => toHex(f)).join()).toBe(pors[5]);
    expect(device.notes.pop()).toEqual([LINK_COPY, COPY_OF_LAST]);

    expect(device.feed(sent[3])).toBe(RECEIVED_NOTHING);
    expect(device.take()).toEqual([]);
    expect(device.notes.pop()).toEqual([LINK_COPY, COPY_OF_EARLIER]);

    expect(device.feed(sent[0])).toBe(RECEIVED_NOTHING);
    expect(device.notes.pop()).toEqual([LINK_COMMAND_REFUSED, POR.CNTR_LOW]);
    expect(platform.feed(device.take())).toBe(RECEIVED_POR);
    expect(platform.ep.por.status).toBe(POR.CNTR_LOW);

    expect(device.receiveCounter.writes).toBe(writes);
    expect(device.ep.refused).toBe(1);
  });

  it('refuses a verified PoR for a counter it never sent, and a request too long for the link without taking a counter', () => {
    const platform = new End();
    const device = new End();
    platform.ep.request(TAR, Uint8Array.of(1), 0, 1);
    device.feed(platform.take());
    answerReversed(device);
    const por = device.take();
    // The platform's send counter went back (say, a restored backup): the PoR now echoes a counter above the last sent.
    const fresh = new End();
    expect(fresh.feed(por)).toBe(RECEIVED_NOTHING);
    expect(fresh.notes.pop()?.[0]).toBe(LINK_POR_REFUSED);
    const writes = platform.send.writes;
    expect(platform.ep.request(TAR, new Uint8Array(2000), 0, 2000)).toBe(REQUEST_TOO_LONG);
    expect(platform.send.writes).toBe(writes);
    expect(platform.take()).toEqual([]);
  });
});
