/**
 * Link fuzzing of the platform's end (seeded, fast-check): a device first sends genuine requests,
 * each delivered once; then generated frames, derived from the genuine ones (replayed, bit-flipped,
 * truncated, extended, with their concatenation header changed, reordered) or random, all go to the
 * platform. Nothing may reach a handler again or reach it altered, nothing may crash the link, and
 * afterwards a new genuine request, split into parts sent out of order among junk, arrives exactly
 * once, intact.
 *
 * Used by the CI suite (test/fuzz/link.test.ts, >= 10,000 frames) and the long campaign (npm run fuzz).
 */
import fc from 'fast-check';
import { POR } from '../../firmware/src/core/link/por-status';
import { SMS_USER_DATA_MAX } from '../../firmware/src/core/link/udh';
import { PlatformLink } from '../../platform-server/src/link/platform-link';
import { countersFromDb, linkKeysFromStore } from '../../platform-server/src/link/link-sources';
import { MemoryLinkNetwork } from '../../platform-server/src/mqtt/memory-transport';
import { provisionDevice } from '../../platform-server/src/provision';
import { DevicePeer } from '../platform/_device-peer';
import { tempPlatform } from '../platform/_fixtures';

const TAR = 0x544301;
const FRAME_SIZE = SMS_USER_DATA_MAX;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

export interface LinkFuzzCounts {
  frames: number;
  deliveries: number;
  failures: string[];
}

type Mutation = 'replay' | 'flip' | 'truncate' | 'extend' | 'header' | 'random';

const frameOp = fc.tuple(
  fc.constantFrom<Mutation>('replay', 'flip', 'truncate', 'extend', 'header', 'random'),
  fc.nat(),
  fc.nat(),
  fc.uint8Array({ minLength: 1, maxLength: FRAME_SIZE }),
);

function mutate(corpus: Uint8Array[], [kind, pick, at, bytes]: [Mutation, number, number, Uint8Array]): Uint8Array {
  const base = corpus[pick % corpus.length];
  const f = Uint8Array.from(base);
  switch (kind) {
    case 'replay':
      return f;
    case 'flip':
      f[at % f.length] ^= 1 << (at % 8);
      return f;
    case 'truncate':
      return f.subarray(0, Math.max(1, at % f.length));
    case 'extend': // up to the frame size: the broker and the transport drop larger frames before the link
      return Uint8Array.from([...f, ...bytes]).subarray(0, FRAME_SIZE);
    case 'header': // the concatenation header's reference, count or sequence number (TS 23.040 §9.2.3.24.1)
      if (f.length > 5) f[2 + (at % 4)] = bytes[0];
      return f;
    case 'random':
      return bytes;
  }
}

/** Runs `runs` sequences of `length` generated frames against one platform link. */
export async function runLinkCampaign(seed: number, runs: number, length: number, onProgress?: (frames: number) => void): Promise<LinkFuzzCounts> {
  const t = await tempPlatform();
  const bundle = (await provisionDevice(t.platform, { deviceId: 'fuzz-1' })).bundle;
  const net = new MemoryLinkNetwork();
  const link = new PlatformLink({ transport: net.platform(), keys: linkKeysFromStore(t.platform), counters: countersFromDb(t.platform), log: () => {}, porTimeoutMs: 2000 });
  const delivered: string[] = [];
  link.route(TAR, async (req) => {
    delivered.push(Buffer.from(req.data).toString('hex'));
    return Uint8Array.of(0x90, 0x00);
  });
  const counts: LinkFuzzCounts = { frames: 0, deliveries: 0, failures: [] };
  try {
    const dev = new DevicePeer(bundle, net.device('fuzz-1'));
    const genuine: string[] = [];
    for (const size of [1, 20, 90, 130, 250, 400, 600]) {
      const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
      const por = await dev.request(TAR, data);
      if (por.status !== POR.OK) throw new Error(`genuine request of ${size} octets answered ${por.status}`);
      genuine.push(Buffer.from(data).toString('hex'));
    }
    const corpus = dev.sent.slice();
    const result = await fc.check(
      fc.asyncProperty(fc.array(frameOp, { minLength: length, maxLength: length }), async (ops) => {
        for (const op of ops) {
          await dev.sendFrame(mutate(corpus, op));
          counts.frames++;
        }
        await settle();
        const extra = delivered.slice(genuine.length);
        if (extra.length > 0) throw new Error(`a generated frame reached the handler: ${extra[0].slice(0, 40)}...`);
        onProgress?.(counts.frames);
        return true;
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    if (result.failed) counts.failures.push(`${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)} (seed ${result.seed}, path ${result.counterexamplePath})`);

    // After all that: a new request in 5 parts, sent in reverse order among junk first parts.
    const data = new Uint8Array(600).map((_, i) => (i * 13) & 0xff);
    const parts = dev.requestFrames(TAR, data);
    const porsBefore = dev.pors.length;
    const junk = corpus.map((f) => Uint8Array.from(f)).map((f) => (f.length > 5 ? ((f[3] ^= 0x55), f) : f));
    for (let i = parts.length - 1; i >= 0; i--) {
      await dev.sendFrame(junk[i % junk.length]);
      await dev.sendFrame(parts[i]);
    }
    const hex = Buffer.from(data).toString('hex');
    // the junk (replays) draws CNTR-low PoRs; the request's own PoR is the one OK among them
    for (let i = 0; i < 250 && !dev.pors.slice(porsBefore).some((p) => p.status === POR.OK); i++) await settle();
    if (!dev.pors.slice(porsBefore).some((p) => p.status === POR.OK)) counts.failures.push('the request after fuzzing was not answered with an OK PoR');
    if (delivered.filter((d) => d === hex).length !== 1) counts.failures.push('the request after fuzzing was not delivered exactly once');
    for (const g of genuine) if (delivered.filter((d) => d === g).length !== 1) counts.failures.push('a genuine request was delivered more than once');
    counts.deliveries = delivered.length;
  } finally {
    await link.close();
    t.cleanup();
  }
  return counts;
}
