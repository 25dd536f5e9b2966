/**
 * A clear refusal cannot be attributed (ETSI TS 102 225 §5.2: only a PoR secured under the
 * command's keys echoes its counter). When a device changes hands between platform workers, a
 * packet the old holder left in flight can reach the terminal together with the new holder's; the
 * terminal's reassembly splices the two, the checksum fails, and the terminal answers with a clear
 * "01 RC/CC/DS failed" that the new holder receives for its own command. Here that happens frame by
 * frame, with no broker and no timer: the platform link and relay of the new holder, the old
 * holder's link endpoint, and the terminal's MCU with a real SE, frames handed over by the test.
 *
 * The relay treats the clear refusal as a lost PoR and sends its command again; the MCU answers the
 * repeat from memory, so the SE runs the command once. A terminal that refuses every command in
 * clear fails the job with the reason once the send limit is reached, and its SE runs nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import type { CounterStore } from '../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../firmware/src/core/link/keyset';
import { LinkEndpoint, RECEIVED_POR, REQUEST_SENT } from '../../firmware/src/core/link/link-endpoint';
import { POR } from '../../firmware/src/core/link/por-status';
import { RESPONSE, ResponseOpener } from '../../firmware/src/core/link/response-packet';
import { FrameHeader, parseUdh } from '../../firmware/src/core/link/udh';
import { Mcu } from '../../firmware/src/core/mcu/mcu';
import { OP_APDU, RELAY_HEADER_LEN, RESULT_OK, writeRelayHeader } from '../../firmware/src/core/mcu/relay-message';
import { TAR_MCU_RELAY } from '../../firmware/src/core/mcu/tars';
import type { ProvisioningBundle } from '../../contracts/provisioning-bundle';
import { SeRelay, type RelayJob } from '../../platform-server/src/flows/se-relay';
import { PlatformLink } from '../../platform-server/src/link/platform-link';
import { linkKeysFromStore } from '../../platform-server/src/link/link-sources';
import { provisionDevice } from '../../platform-server/src/provision';
import { nodeRandom } from '../../host/se/virtual-se';
import { TestSe } from '../applets/_harness';
import { MemoryCounterStore } from '../link/_link-fixtures';
import { tempPlatform, type TempPlatform } from './_fixtures';

const DEVICE = 'term-1';
const FRAME = 140;
const SEQ = 5;
const TOTAL = 9;
/** A LOAD-sized command outside any SCP03 session (the SE answers it 6982): two frames on the link. */
const APDU = fromHex('80E80000C8' + '5a'.repeat(200));

/** The frames each party sent, in order, until the test hands them on. */
class Wire {
  readonly down: Uint8Array[] = [];
  readonly up: Uint8Array[] = [];
  readonly toOld: Uint8Array[] = [];
}

function keyset(b: ProvisioningBundle): LinkKeyset {
  const kic = new SoftAes();
  kic.setKey(fromHex(b.link.kic), 0, 16);
  const kid = new SoftAes();
  kid.setKey(fromHex(b.link.kid), 0, 16);
  return new LinkKeyset(kic, kid, b.link.keyIndex);
}

/** The terminal: the MCU every terminal runs, on a real SE; what it sends goes to `out`. */
function terminal(keys: LinkKeyset, out: Uint8Array[]): Mcu {
  return new Mcu(new TestSe().se, keys, new MemoryCounterStore(), new MemoryCounterStore(), FRAME, () => new SoftAes(), nodeRandom, 30, {
    sendFrame: (f) => out.push(f.slice()),
    tell: () => {},
    manage: () => {},
  });
}

function relayMessage(job: RelayJob): Uint8Array {
  const msg = new Uint8Array(RELAY_HEADER_LEN + APDU.length);
  writeRelayHeader(OP_APDU, job.context.relayRef, SEQ, TOTAL, msg);
  msg.set(APDU, RELAY_HEADER_LEN);
  return msg;
}

function header(frame: Uint8Array): FrameHeader {
  const h = new FrameHeader();
  expect(parseUdh(frame, 0, frame.length, h)).toBe(true);
  return h;
}

/** Lets the link's and relay's promises run (no timer is involved). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

let tp: TempPlatform;
let bundle: ProvisioningBundle;
let link: PlatformLink;
let wire: Wire;
let deliverUp: (frame: Uint8Array) => void;
const lines: string[] = [];
/** The new holder's down counter: the old holder used the values below its start. */
const downCounter = new MemoryCounterStore('0000000010');

beforeEach(async () => {
  tp = await tempPlatform();
  bundle = (await provisionDevice(tp.platform, { deviceId: DEVICE })).bundle;
  wire = new Wire();
  lines.length = 0;
  downCounter.value = fromHex('0000000010');
  link = new PlatformLink({
    transport: {
      send: async (_id, frame) => {
        wire.down.push(frame.slice());
      },
      onFrame: (handler) => {
        deliverUp = (frame) => handler(DEVICE, frame);
      },
      close: async () => {},
    },
    keys: linkKeysFromStore(tp.platform),
    counters: (_id, direction): CounterStore => (direction === 'down' ? downCounter : new MemoryCounterStore()),
    log: (event, detail) => lines.push(JSON.stringify({ event, ...detail })),
    porTimeoutMs: 60_000,
  });
});

afterEach(async () => {
  await link.close();
  tp.cleanup();
});

function relayOf(sendLimit: number): SeRelay {
  return new SeRelay(tp.platform, link, (event, detail) => lines.push(JSON.stringify({ event, ...detail })), { porTimeoutMs: 60_000, sendLimit }, () => false);
}

const job: RelayJob = { id: 'job-1', device_id: DEVICE, context: { relayRef: 0x1234567, seed: null } };

describe('clear refusals at the relay', () => {
  it('one of a packet spliced with the old holder\'s makes the relay send its command again; the SE runs it once, the job gets its answer', async () => {
    const relay = relayOf(20);
    const mcu = terminal(keyset(bundle), wire.up);
    const answered = relay.relayRaw(job, OP_APDU, SEQ, APDU, TOTAL);
    await turn();
    const [b1, b2] = wire.down.splice(0);
    expect(wire.down).toHaveLength(0);
    expect(b2).toBeDefined();

    // The old holder sent the same relay command twice under its own, lower counters (0f, 10), the
    // second time under the concatenation reference the new holder happens to use now.
    const oldCounter = new MemoryCounterStore('000000000e');
    const old = new LinkEndpoint(
      keyset(bundle), oldCounter, new MemoryCounterStore(), { acceptsTar: () => false },
      { sendFrame: (f) => wire.toOld.push(f.slice()), tell: () => {} },
      0, FRAME, 8, 4, (header(b1).ref - 1) & 0xff,
    );
    const msg = relayMessage(job);
    expect(old.request(TAR_MCU_RELAY, msg, 0, msg.length)).toBe(REQUEST_SENT);
    expect(old.request(TAR_MCU_RELAY, msg, 0, msg.length)).toBe(REQUEST_SENT);
    const [a1, a2, a1b, a2b] = wire.toOld.splice(0);

    // Its first one reached the terminal whole before the device changed hands: the SE ran it;
    // the PoR went to the old holder, which is gone.
    for (const f of [a1, a2]) mcu.receive(f, f.length, 0);
    expect(mcu.relay.relayed).toBe(1);
    const firstPor = wire.up.splice(0);

    // The new holder's first frame and the old holder's second one: one packet to the terminal,
    // whose checksum fails. The refusal is clear: status 01, no counter.
    for (const f of [b1, a2b]) mcu.receive(f, f.length, 0);
    expect(wire.up).toHaveLength(1);
    const h = header(wire.up[0]);
    const clear = new ResponseOpener(FRAME * 8);
    expect(clear.open(wire.up[0], h.dataOff, h.dataLen, keyset(bundle))).toBe(RESPONSE.CLEAR);
    expect(clear.status).toBe(POR.RC_CC_DS_FAILED);
    expect(toHex(clear.cntr)).toBe('0000000000');

    // It reaches the new holder, whose one command outstanding is the only candidate: the relay
    // sends the same bytes again under the next counter.
    deliverUp(wire.up.splice(0)[0]);
    await turn();
    expect(lines.some((l) => l.includes('"dpu.job.resend"') && l.includes('01 RC/CC/DS failed'))).toBe(true);
    const again = wire.down.splice(0);
    expect(again).toHaveLength(2);
    expect(mcu.relay.relayed).toBe(1);

    // The terminal takes it as a repeat of the command the SE already ran: answered from memory.
    for (const f of again) mcu.receive(f, f.length, 0);
    expect(mcu.relay.relayed).toBe(1);
    expect(mcu.relay.repeated).toBe(1);
    for (const f of wire.up.splice(0)) deliverUp(f);
    const data = await answered;
    expect(data[0]).toBe(RESULT_OK);
    expect(toHex(data.subarray(1))).toBe('6982');

    // The answer is the one the SE gave the old holder's copy.
    let toOldPor: Uint8Array | null = null;
    for (const f of firstPor) if (old.receive(f, f.length, 0) === RECEIVED_POR) toOldPor = old.por.data.slice(old.por.dataOff, old.por.dataOff + old.por.dataLen);
    expect(old.porVerified).toBe(true);
    expect(toHex(toOldPor as Uint8Array)).toBe(toHex(data));

    // The rest of the spliced frames still arrive: another packet that fails its checksum, and a
    // clear refusal that matches nothing outstanding. The SE still ran the command once.
    for (const f of [b2, a1b]) mcu.receive(f, f.length, 0);
    expect(wire.up).toHaveLength(1);
    deliverUp(wire.up.splice(0)[0]);
    await turn();
    expect(wire.down).toHaveLength(0);
    expect(mcu.relay.relayed).toBe(1);
  });

  it('a terminal that refuses every command in clear fails the job with the reason at the send limit; its SE runs nothing', async () => {
    const relay = relayOf(3);
    const other = (await provisionDevice(tp.platform, { deviceId: 'term-2' })).bundle;
    // The terminal holds another device's link keys: every packet fails its checksum.
    const mcu = terminal(keyset(other), wire.up);
    let failure: Error | null = null;
    const answered = relay.relayRaw(job, OP_APDU, SEQ, APDU, TOTAL).catch((err: Error) => {
      failure = err;
    });
    for (let round = 0; round < 3; round++) {
      await turn();
      const frames = wire.down.splice(0);
      expect(frames).toHaveLength(2);
      for (const f of frames) mcu.receive(f, f.length, 0);
      for (const f of wire.up.splice(0)) deliverUp(f);
    }
    await answered;
    expect(failure).not.toBeNull();
    expect((failure as unknown as Error).message).toBe('terminal refused the relay command: 01 RC/CC/DS failed (clear PoR, 3 sends)');
    expect(wire.down).toHaveLength(0);
    expect(mcu.relay.relayed).toBe(0);
    expect(lines.filter((l) => l.includes('"dpu.job.resend"'))).toHaveLength(2);
  });
});
