/**
 * Runs `tapcard gp` in process with its stdout/stderr captured, with an SE (the SE core in
 * memory) as the card: over `--vpcd-listen` the SE's vpcd client connects to the command.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { run } from '../../cli/gp';
import { fromHex } from '../../firmware/src/core/hex';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { createSecureElement, SeCardDevice } from '../../host/se/virtual-se';
import type { CardDevice } from '../../host/vpcd/card-device';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';

export type CliResult = { code: number; stdout: string; stderr: string };

export const SE_SERIAL = '0102030405060708090a';

export function newSeCard(): SeCardDevice {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex(SE_SERIAL) });
  se.boot();
  return new SeCardDevice(se);
}

export async function runGp(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await run(args);
    return { code, stdout, stderr };
  } finally {
    log.mockRestore();
    err.mockRestore();
    write.mockRestore();
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `tapcard gp --vpcd-listen PORT ...args` with `card` connecting to it. */
export async function runGpWithCard(card: CardDevice, args: string[]): Promise<CliResult> {
  const port = await freePort();
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card, reconnectMs: 20 });
  client.start();
  try {
    return await runGp(['--vpcd-listen', String(port), '--wait', '10', ...args]);
  } finally {
    await client.stop();
  }
}

export function tempFile(name: string, bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-gp-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}
