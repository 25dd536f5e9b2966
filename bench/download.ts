/**
 * Download throughput (issue 8 item 2): transit packages of about 4, 16 and 64 KB installed by
 * GpSession at SCP03 security level 03 (C-MAC + C-DECRYPTION) into the SE core in process: the
 * SE's raw unwrap + write rate (INSTALL [for load], LOAD blocks, INSTALL [for install]), beside a
 * real SE's ~5 KB/s with GlobalPlatformPro (46-48 ms per 255-byte LOAD). Also the number of
 * 140-octet link segments the same bytes would take. A GP load numbers its blocks in one byte
 * (P2, GPCS 11.6.2.2): at most 256 blocks, so the largest package is cut where it must be and
 * the size actually loaded is printed.
 */
import { fromHex } from '../firmware/src/core/hex';
import { MAX_RESPONSE_LEN } from '../firmware/src/core/se/secure-element';
import { MemoryFlash } from '../host/flash/memory-flash';
import { createSecureElement } from '../host/se/virtual-se';
import { machineInfo, msSince, type BenchOptions, type BenchResult } from './_report';
import { installTransit, transitPackage, type Transmit } from './_transit';

/** A real SE with GlobalPlatformPro: about 5 KB/s (46-48 ms per 255-byte LOAD). */
export const REAL_SE_BYTES_PER_S = 5 * 1024;
/** The platform link's frame: one SMS (architecture: wire contracts). */
export const SEGMENT_OCTETS = 140;
const TARGET_KB = [4, 16, 64];
/** GP P2 block number is one byte: blocks 0..255 (GPCS 11.6.2.2). */
const MAX_LOAD_BLOCKS = 256;
/** Pages of 4 KB: room for the largest package plus the store's journal. */
const FLASH_PAGES = 256;

interface DownloadFigure {
  targetKB: number;
  packageBytes: number;
  blocks: number;
  blockSize: number;
  ms: number;
  bytesPerS: number;
  segments140: number;
  note: string;
}

/** The largest terms length whose package stays within `bytes` and `MAX_LOAD_BLOCKS` blocks of `block`. */
function sizedPackage(bytes: number, block: number) {
  const limit = Math.min(bytes, MAX_LOAD_BLOCKS * block);
  const overhead = transitPackage(0).file.length;
  let terms = Math.max(0, limit - overhead);
  let pkg = transitPackage(terms);
  while (pkg.file.length > limit && terms > 0) {
    terms -= pkg.file.length - limit;
    pkg = transitPackage(Math.max(0, terms));
  }
  return pkg;
}

async function installOnce(targetBytes: number, blockGuess: number): Promise<DownloadFigure> {
  const se = createSecureElement({ flash: new MemoryFlash(FLASH_PAGES), serial: fromHex('0102030405060708090a') });
  se.boot();
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const transmit: Transmit = async (apdu) => out.slice(0, se.transceive(apdu, apdu.length, out));
  const pkg = sizedPackage(targetBytes, blockGuess);
  const start = process.hrtime.bigint();
  const result = await installTransit(transmit, pkg, 0x03);
  const ms = msSince(start);
  const capped = pkg.file.length < targetBytes;
  return {
    targetKB: targetBytes / 1024,
    packageBytes: pkg.file.length,
    blocks: result.blocks,
    blockSize: result.blockSize,
    ms,
    bytesPerS: pkg.file.length / (ms / 1000),
    segments140: Math.ceil(pkg.file.length / SEGMENT_OCTETS),
    note: capped ? `cut to ${pkg.file.length} bytes: ${MAX_LOAD_BLOCKS} LOAD blocks of ${result.blockSize} bytes at most` : '',
  };
}

export async function downloadBench(opts: BenchOptions): Promise<BenchResult> {
  const sizes = opts.smoke ? [4] : TARGET_KB;
  const figures: DownloadFigure[] = [];
  // The block size the host uses at SL 03 (data room after C-MAC and padding) is learnt from a first install.
  const probe = await installOnce(4096, 255);
  for (const kb of sizes) figures.push(await installOnce(kb * 1024, probe.blockSize));
  return {
    bench: 'download',
    smoke: opts.smoke,
    machine: machineInfo(),
    tables: [
      {
        title: `Package download into the SE core, SCP03 SL 03 (real SE with GPPro: ~${REAL_SE_BYTES_PER_S / 1024} KB/s)`,
        columns: ['package', 'bytes loaded', 'LOAD blocks', 'block bytes', 'ms', 'bytes/s', 'x real SE', '140-octet segments', 'note'],
        rows: figures.map((f) => [`${f.targetKB} KB`, f.packageBytes, f.blocks, f.blockSize, f.ms, f.bytesPerS, f.bytesPerS / REAL_SE_BYTES_PER_S, f.segments140, f.note]),
      },
    ],
    notes: [
      'raw: GpSession -> SecureElement.transceive in one process: SCP03 wrap (host) + unwrap, decrypt, LOAD into the journaled store (card), INSTALL; time includes the SELECT and SCP03 handshake.',
      '140-octet segments: package bytes / 140, a lower bound (each segment also carries the concatenation header and the secured packet\'s counter and MAC).',
      'not built yet in this bench: the end-to-end download (platform -> MQTT 140-octet segments -> MCU -> SE) and its ratio to the raw figure; the flows exist (platform-server/src/flows, host/terminal) but the bench needs an issuer adapter that issues packages of a chosen size.',
    ],
    figures: { realSeBytesPerS: REAL_SE_BYTES_PER_S, segmentOctets: SEGMENT_OCTETS, raw: figures },
  };
}
