/**
 * SEs holding a transit card for the POS tests: in memory (direct mode, in process) or in a state
 * directory that `tapcard se serve --state DIR` then serves (PC/SC mode). The package is the
 * development transit card (dev keys), installed by the GP host over SCP03 (test/applets/_harness.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fromHex } from '../../firmware/src/core/hex';
import type { SecureElement } from '../../firmware/src/core/se/secure-element';
import { FileFlash } from '../../host/flash/file-flash';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { createSecureElement, DEFAULT_FLASH_PAGES, SeCardDevice, STATE_FILE } from '../../host/se/virtual-se';
import type { CardDevice } from '../../host/vpcd/card-device';
import { cardPackage, installPackage } from '../applets/_harness';

export const CARD_NUMBER = '31041000000000012345';
export const ISSUER_ID = 1000;
/** The T-Union AID with issuer 1000 (03E8) appended (package/aids.ts). */
export const TRANSIT_APP_AID = 'A00000063201010503E8';
const SE_SERIAL = '0a0b0c0d0e0f10111213';

async function installTransit(se: SecureElement): Promise<void> {
  const card = new SeCardDevice(se);
  const { spec, file } = cardPackage({ app: 'transit', issuerId: ISSUER_ID, cardNumber: CARD_NUMBER, termsLength: 0 });
  await installPackage(async (apdu) => card.transmit(apdu), file, spec);
}

/** An SE in memory with the transit card installed (balance 0). */
export async function transitSe(withCard = true): Promise<SecureElement> {
  const se = createSecureElement({ flash: new MemoryFlash(64), serial: fromHex(SE_SERIAL) });
  se.boot();
  if (withCard) await installTransit(se);
  return se;
}

/** Writes a `tapcard se serve` state directory whose SE holds the transit card. */
export async function transitStateDir(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'se-serial.txt'), SE_SERIAL + '\n');
  const flash = new FileFlash(path.join(dir, STATE_FILE), DEFAULT_FLASH_PAGES);
  const se = createSecureElement({ flash, serial: fromHex(SE_SERIAL) });
  se.boot();
  await installTransit(se);
  flash.close();
}

/**
 * The SE as a card that, once armed, leaves the field at the next DEBIT FOR PURCHASE: `before` the
 * card sees it (nothing debited) or `after` it committed the debit but before its answer goes out.
 */
export class CardLeavingAtDebit implements CardDevice {
  private readonly inner: SeCardDevice;
  private armed: { when: 'before' | 'after'; leave: () => void } | null = null;

  constructor(se: SecureElement) {
    this.inner = new SeCardDevice(se);
  }

  /** leave() takes the card out of the field (stops its vpcd client). */
  arm(when: 'before' | 'after', leave: () => void): void {
    this.armed = { when, leave };
  }

  powerOn(): Uint8Array {
    return this.inner.powerOn();
  }

  powerOff(): void {
    this.inner.powerOff();
  }

  reset(): Uint8Array {
    return this.inner.reset();
  }

  atr(): Uint8Array {
    return this.inner.atr();
  }

  transmit(apdu: Uint8Array): Uint8Array {
    const armed = this.armed;
    const isDebit = apdu[0] === 0x80 && apdu[1] === 0x54;
    if (armed === null || !isDebit) return this.inner.transmit(apdu);
    this.armed = null;
    // The answer never reaches the reader: the connection is gone before the client writes it.
    const answer = armed.when === 'after' ? this.inner.transmit(apdu) : Uint8Array.of(0x6f, 0x00);
    armed.leave();
    return answer;
  }
}
