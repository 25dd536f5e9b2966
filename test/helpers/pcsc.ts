/**
 * pcscd for integration tests: one test file at a time holds the machine's pcscd and its vpcd slot 0
 * (docs/vpcd-pcscd.md "Limits"), through a cross-process lock. Reuses a pcscd started by .ci/run, else starts one.
 *
 *   await withPcscd(async (pcscd) => {
 *     const card = await insertCard(pcscd, new TestCard());
 *     const [select] = await runOpensc('00A4040008A000000151000000');
 *     await card.remove();
 *   });
 */
import type { CardDevice } from '../../host/vpcd/card-device';
import { startPcscd, type Pcscd } from '../../host/pcsc/pcscd';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { acquireMachineLock } from './machine-lock';
import { waitForCardInReader, waitForEmptyReader } from './pcsc-tools';

/** Other test files may hold the slot for a whole suite; wait longer than one of them takes. */
const LOCK_TIMEOUT_MS = 120_000;

export type PcscdLease = { pcscd: Pcscd; release(): Promise<void> };

/** Takes the machine's pcscd slot for this process and makes sure pcscd runs. For beforeAll/afterAll. */
export async function acquirePcscd(): Promise<PcscdLease> {
  const lock = await acquireMachineLock('pcscd-vpcd-slot0', LOCK_TIMEOUT_MS);
  let pcscd: Pcscd;
  try {
    pcscd = await startPcscd();
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    pcscd,
    release: async () => {
      try {
        await pcscd.stop();
      } finally {
        lock.release();
      }
    },
  };
}

export async function withPcscd<T>(fn: (pcscd: Pcscd) => Promise<T>): Promise<T> {
  const lease = await acquirePcscd();
  try {
    return await fn(lease.pcscd);
  } finally {
    await lease.release();
  }
}

export type InsertedCard = { client: VpcdCardClient; atr: string; remove(): Promise<void> };

/**
 * Puts a card into vpcd slot 0 and waits until PC/SC reports it (resolves with the ATR pcsc_scan
 * shows). remove() takes it out and waits until PC/SC reports the reader empty, so the next card
 * starts from a clean slot.
 */
export async function insertCard(pcscd: Pcscd, card: CardDevice): Promise<InsertedCard> {
  const client = new VpcdCardClient({ host: pcscd.cardHost, port: pcscd.cardPort, card });
  client.start();
  let atr: string;
  try {
    atr = await waitForCardInReader(pcscd.readerName);
  } catch (err) {
    await client.stop();
    throw err;
  }
  return {
    client,
    atr,
    remove: async () => {
      await client.stop();
      await waitForEmptyReader(pcscd.readerName);
    },
  };
}
