/**
 * Tap latency: a transit debit (SELECT, INITIALIZE FOR PURCHASE, DEBIT FOR
 * PURCHASE with MAC1 from the transit server's security module) and a recharge (SELECT,
 * INITIALIZE FOR LOAD, CREDIT FOR LOAD with MAC2), each tap timed from the first command to the
 * last answer, beside the 400 ms transaction window of DB31/T 239-2020 and Suica's ~100 ms.
 * Two setups: the SE core called in process, and the direct vpcd link (VpcdReader <-> TCP <->
 * VpcdCardClient with the SE as the card). The security module's MAC work is inside the tap time,
 * as it is for an online authorisation.
 */
import { fromHex } from '../firmware/src/core/hex';
import { MAX_RESPONSE_LEN, type SecureElement } from '../firmware/src/core/se/secure-element';
import { MemoryFlash } from '../host/flash/memory-flash';
import { createSecureElement, SeCardDevice } from '../host/se/virtual-se';
import { VpcdCardClient } from '../host/vpcd/vpcd-card-client';
import { VpcdReader } from '../host/vpcd/vpcd-reader';
import { blockCounts, diffCounts, inCard, installBlockCounter, totalBlocks, type BlockCounts } from './_crypto-count';
import { machineInfo, maxOf, msSince, percentile, type BenchOptions, type BenchResult } from './_report';
import { expectOk, installTransit, TransitHost, transitPackage, type Transmit } from './_transit';

/** DB31/T 239-2020: a transit card transaction completes within 400 ms. */
export const DB31_WINDOW_MS = 400;
/** Suica (FeliCa) read/write in about 100 ms. */
export const SUICA_MS = 100;
const DATE_TIME = fromHex('20240315123000');
const RECHARGE_FEN = 100;
const DEBIT_FEN = 50;

interface Setup {
  name: string;
  transmit: Transmit;
  close(): Promise<void>;
}

/** The SE's commands book their block operations to the card side. */
function countingSe(): SecureElement {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex('0102030405060708090a') });
  se.boot();
  const transceive = se.transceive.bind(se);
  se.transceive = (command, len, out) => inCard(() => transceive(command, len, out));
  return se;
}

function inProcessSetup(): Setup {
  const se = countingSe();
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  return {
    name: 'SE core, in process',
    transmit: async (apdu) => out.slice(0, se.transceive(apdu, apdu.length, out)),
    close: async () => {},
  };
}

async function vpcdSetup(): Promise<Setup> {
  const se = countingSe();
  const reader = new VpcdReader();
  const port = await reader.listen(0);
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(se) });
  client.start();
  await reader.waitForCard(5000);
  await reader.powerOn();
  return {
    name: 'direct vpcd link (TCP loopback)',
    transmit: reader.transmit,
    close: async () => {
      await client.stop();
      await reader.close();
    },
  };
}

interface TapFigures {
  taps: number;
  p50: number;
  p99: number;
  max: number;
  apdusPerTap: number;
  cardBlocksPerTap: BlockCounts;
  hostBlocksPerTap: BlockCounts;
}

type Tap = (transmit: Transmit) => Promise<void>;

async function measure(transmit: Transmit, taps: number, tap: Tap): Promise<TapFigures> {
  let apdus = 0;
  const counted: Transmit = (apdu) => {
    apdus++;
    return transmit(apdu);
  };
  await tap(counted); // warm-up, not timed
  apdus = 0;
  const card0 = blockCounts('card');
  const host0 = blockCounts('host');
  const times: number[] = [];
  for (let i = 0; i < taps; i++) {
    const start = process.hrtime.bigint();
    await tap(counted);
    times.push(msSince(start));
  }
  const per = (c: BlockCounts): BlockCounts => ({ aes: c.aes / taps, des: c.des / taps, tdes: c.tdes / taps });
  return {
    taps,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: maxOf(times),
    apdusPerTap: apdus / taps,
    cardBlocksPerTap: per(diffCounts(blockCounts('card'), card0)),
    hostBlocksPerTap: per(diffCounts(blockCounts('host'), host0)),
  };
}

function debitTap(host: TransitHost): Tap {
  return async (transmit) => {
    expectOk('SELECT', await transmit(host.selectApdu));
    const init = expectOk('INITIALIZE FOR PURCHASE', await transmit(host.initPurchase(DEBIT_FEN)));
    expectOk('DEBIT FOR PURCHASE', await transmit(host.debit(init, DEBIT_FEN, DATE_TIME)));
  };
}

function rechargeTap(host: TransitHost): Tap {
  return async (transmit) => {
    expectOk('SELECT', await transmit(host.selectApdu));
    const init = expectOk('INITIALIZE FOR LOAD', await transmit(host.initLoad(RECHARGE_FEN)));
    expectOk('CREDIT FOR LOAD', await transmit(host.credit(init, RECHARGE_FEN, DATE_TIME)));
  };
}

function blocksText(c: BlockCounts): string {
  const parts: string[] = [];
  if (c.aes > 0) parts.push(`${c.aes} AES`);
  if (c.des > 0) parts.push(`${c.des} DES`);
  if (c.tdes > 0) parts.push(`${c.tdes} 3DES`);
  return parts.length === 0 ? '0' : parts.join(' + ');
}

export async function tapBench(opts: BenchOptions): Promise<BenchResult> {
  installBlockCounter();
  const taps = opts.smoke ? 5 : 200;
  const figures: Record<string, { recharge: TapFigures; debit: TapFigures }> = {};
  const rows: (string | number)[][] = [];
  for (const make of [async () => inProcessSetup(), vpcdSetup]) {
    const setup = await make();
    try {
      const pkg = transitPackage(2500);
      await installTransit(setup.transmit, pkg);
      const host = new TransitHost(pkg.spec);
      // Recharge first so the debits have a balance: (taps + 1) x 1.00 in, (taps + 1) x 0.50 out.
      const recharge = await measure(setup.transmit, taps, rechargeTap(host));
      const debit = await measure(setup.transmit, taps, debitTap(host));
      figures[setup.name] = { recharge, debit };
      for (const [kind, f] of [['debit', debit], ['recharge', recharge]] as const) {
        rows.push([`${kind}, ${setup.name}`, f.taps, f.p50, f.p99, f.max, f.apdusPerTap, blocksText(f.cardBlocksPerTap), totalBlocks(f.cardBlocksPerTap), blocksText(f.hostBlocksPerTap), (100 * f.p99) / DB31_WINDOW_MS]);
      }
    } finally {
      await setup.close();
    }
  }
  return {
    bench: 'tap',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title: `Tap latency in ms (window: ${DB31_WINDOW_MS} ms DB31/T 239-2020; Suica ~${SUICA_MS} ms)`,
        columns: ['tap, setup', 'taps', 'p50 ms', 'p99 ms', 'max ms', 'APDUs/tap', 'card blocks/tap', 'card total', 'security module blocks/tap', 'p99 % of 400 ms'],
        rows,
      },
    ],
    notes: [
      'a tap is timed from the SELECT to the last answer, including the security module\'s MAC1/MAC2 computation; no RF time (PN532 and air) is in these setups.',
      'card blocks: encryptBlock/decryptBlock calls of SoftAes/SoftDes/SoftTripleDes while the SE runs the command; a 3DES block counts once.',
      'the firmware bundle is not timed here: the emulator runs it on V8, whose speed says nothing of a board; its time per command on the real Espruino interpreter, in loop units that carry to an ESP32, is in the firmware bench.',
    ],
    figures: { windowMs: DB31_WINDOW_MS, suicaMs: SUICA_MS, setups: figures },
  };
}
