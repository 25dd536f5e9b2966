/**
 * The platform's AES work per link message, SoftAes (the portable core's, which the platform ran
 * before) beside NodeAes (net/crypto/node-aes.ts, node:crypto), in the same run:
 * seal a 110-octet command packet (CBC + CMAC, TS 102 225 §5.1.2-§5.1.3) and open a 32-octet
 * secured PoR, under one device key set, as platform-link.ts does per download segment. Also the
 * first use of a freshly keyed key set (what a device's first message after a (re)start costs).
 * Figures: process CPU per message (process.cpuUsage), so other load on the machine counts less.
 */
import { SoftAes } from '../firmware/src/core/crypto/aes';
import type { CipherFactory } from '../firmware/src/core/crypto/block-cipher';
import { CommandHeader, SPI1_LINK, SPI2_POR_SECURED, sealCommand } from '../firmware/src/core/link/command-packet';
import { LinkKeyset } from '../firmware/src/core/link/keyset';
import { RESPONSE, ResponseOpener, sealResponse } from '../firmware/src/core/link/response-packet';
import { NodeAes } from '../net/crypto/node-aes';
import { fmt, machineInfo, type BenchOptions, type BenchResult } from './_report';

const COMMAND_OCTETS = 110;
const POR_OCTETS = 32;
const MAX_PACKET = 200;
const TAR = 0xb00001;
const ROUNDS = 3;
const CIPHERS: { name: string; make: CipherFactory }[] = [
  { name: 'SoftAes (portable core)', make: () => new SoftAes() },
  { name: 'NodeAes (node:crypto)', make: () => new NodeAes() },
];

function keyset(make: CipherFactory): LinkKeyset {
  const kic = make();
  const kid = make();
  kic.setKey(new Uint8Array(16).fill(0x11), 0, 16);
  kid.setKey(new Uint8Array(16).fill(0x22), 0, 16);
  return new LinkKeyset(kic, kid, 1);
}

interface Work {
  header: CommandHeader;
  cntr: Uint8Array;
  data: Uint8Array;
  por: Uint8Array;
  porLen: number;
}

function work(): Work {
  const cntr = new Uint8Array(5);
  cntr[4] = 1;
  const por = new Uint8Array(MAX_PACKET);
  const porLen = sealResponse(keyset(() => new SoftAes()), TAR, cntr, 0, 0, new Uint8Array(POR_OCTETS), 0, POR_OCTETS, por, 0);
  const header = new CommandHeader();
  header.spi1 = SPI1_LINK;
  header.spi2 = SPI2_POR_SECURED;
  header.tar = TAR;
  return { header, cntr, data: new Uint8Array(COMMAND_OCTETS), por, porLen };
}

function message(w: Work, keys: LinkKeyset, opener: ResponseOpener, out: Uint8Array): void {
  sealCommand(w.header, keys, w.cntr, 0, w.data, 0, w.data.length, out, 0);
  if (opener.open(w.por, 0, w.porLen, keys) !== RESPONSE.VERIFIED) throw new Error('link-crypto bench: the PoR did not verify');
}

/** CPU microseconds per call of fn, over n calls. */
function cpuUs(n: number, fn: () => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

export async function linkCryptoBench(opts: BenchOptions): Promise<BenchResult> {
  const messages = opts.smoke ? 20 : 20_000;
  const firstUses = opts.smoke ? 5 : 2_000;
  const w = work();
  const out = new Uint8Array(MAX_PACKET);
  const perMessage = new Map<string, number[]>();
  const perFirstUse = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CIPHERS) {
      const keys = keyset(c.make);
      const opener = new ResponseOpener(MAX_PACKET);
      for (let i = 0; i < messages / 20; i++) message(w, keys, opener, out);
      perMessage.set(c.name, [...(perMessage.get(c.name) ?? []), cpuUs(messages, () => message(w, keys, opener, out))]);
      perFirstUse.set(c.name, [...(perFirstUse.get(c.name) ?? []), cpuUs(firstUses, () => message(w, keyset(c.make), opener, out))]);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = CIPHERS.map((c) => {
    const us = median(perMessage.get(c.name) ?? []);
    return [c.name, fmt(us), fmt(1e6 / us), fmt(median(perFirstUse.get(c.name) ?? []))];
  });
  return {
    bench: 'link-crypto',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title: `Platform AES work per link message: seal a ${COMMAND_OCTETS}-octet command, open a ${POR_OCTETS}-octet secured PoR (median of ${ROUNDS} rounds)`,
        columns: ['cipher', 'CPU us/message', 'messages/s of one core', 'CPU us, first message on a new key set'],
        rows,
      },
    ],
    notes: [
      'CPU time of this process (process.cpuUsage), so other load on a shared machine counts less than in wall time; the framing, reassembly, broker and database of a real message are not in it (see the platform bench).',
      'a new key set: NodeAes makes its OpenSSL contexts on first use and keeps them; the platform keeps a device key set from its first message until the device is forgotten.',
    ],
    figures: { messages, firstUses, rounds: ROUNDS, perMessageCpuUs: Object.fromEntries(perMessage), firstUseCpuUs: Object.fromEntries(perFirstUse) },
  };
}
