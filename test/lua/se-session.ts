/**
 * The scripted SE session, Node side: the SE core on an in-memory flash with a
 * counting Random, driven by the GP host over SCP03 (SL 03: C-MAC) to install a transit package,
 * then by a PBOC terminal to load and purchase. Every command and its response is recorded; the
 * Lua runner (se-session.lua) replays the same commands on the Lua build and must print the same
 * responses and leave the same flash image.
 *
 * Everything the SE sees is fixed: serial, ISD key, host challenge, card number, amounts, dates,
 * and the random bytes (byte k of the stream is (k * 73 + 41) & 0xff, as in se-session.lua), so
 * the recording is the same on every run.
 */
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../../firmware/src/core/crypto/des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { MAX_RESPONSE_LEN, SecureElement } from '../../firmware/src/core/se/secure-element';
import { BUILT_IN_APPLET_CLASSES } from '../../firmware/src/core/applets/built-in';
import type { Random } from '../../firmware/src/core/ports/random';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile } from '../../host/gp/load-file';
import { DEV_ISD_KEY, DEV_KVN } from '../../host/se/virtual-se';
import { cardPackage } from '../applets/_harness';
import { PurseTerminal } from '../applets/_terminal';

export const SESSION_SERIAL = '00112233445566778899';
export const SESSION_FLASH_PAGES = 16;
export const SESSION_CARD_NUMBER = '31041000000000012345';
/** The GP host's challenge for INITIALIZE UPDATE. */
export const HOST_CHALLENGE = '0102030405060708';
/** SCP03 security level 03: C-DECRYPTION and C-MAC (GPCS Table 11-19). */
export const SESSION_SECURITY_LEVEL = 0x03;

/** Byte k of the stream is (k * 73 + 41) & 0xff: the same bytes in se-session.lua. */
export class CountingRandom implements Random {
  private k = 0;

  fill(out: Uint8Array, off: number, len: number): void {
    for (let i = 0; i < len; i++) {
      out[off + i] = (this.k * 73 + 41) & 0xff;
      this.k++;
    }
  }
}

export function sessionSecureElement(flash: MemoryFlash): SecureElement {
  const key = fromHex(DEV_ISD_KEY);
  const se = new SecureElement({
    flash,
    random: new CountingRandom(),
    aes: () => new SoftAes(),
    des: () => new SoftDes(),
    tripleDes: () => new SoftTripleDes(),
    serial: fromHex(SESSION_SERIAL),
    appletClasses: BUILT_IN_APPLET_CLASSES,
    initialKeys: { kvn: DEV_KVN, enc: key, mac: key, dek: key },
  });
  se.boot();
  return se;
}

export interface SessionStep {
  /** What the command is for, e.g. "CREDIT FOR LOAD" (for failure messages). */
  label: string;
  command: string;
  response: string;
}

export interface SessionRecord {
  /** Phases: each starts with a freshly booted SE on the flash the previous phase left. */
  phases: SessionStep[][];
  /** The flash image after the last phase. */
  image: Uint8Array;
  /** What the issuer and the PSAM expect: the load TAC, and TAC || MAC2 of the purchase. */
  loadTac: string;
  purchaseProof: string;
}

/**
 * Records the session. Phase 1: SELECT ISD, SCP03 open at SL 03, INSTALL [for load], LOAD
 * blocks, INSTALL [for install and make selectable], GET STATUS; SELECT the transit card, GET
 * BALANCE, load 50.00 (INITIALIZE FOR LOAD, CREDIT FOR LOAD with the issuer's MAC2), purchase
 * 2.00 (INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE with the PSAM's MAC1), READ RECORD, GET
 * BALANCE. Phase 2, after a reboot from the same flash: SELECT, GET BALANCE, READ RECORD.
 */
export async function recordSession(): Promise<SessionRecord> {
  const flash = new MemoryFlash(SESSION_FLASH_PAGES);
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  const phases: SessionStep[][] = [];
  let steps: SessionStep[] = [];
  let se = sessionSecureElement(flash);
  let label = '';
  const transmit = async (apdu: Uint8Array): Promise<Uint8Array> => {
    // Hex first: transceive() decrypts C-DEC data in place, in the caller's buffer.
    const command = toHex(apdu);
    const n = se.transceive(apdu, apdu.length, out);
    const response = out.slice(0, n);
    steps.push({ label, command, response: toHex(response) });
    return response;
  };
  const send = async (name: string, command: string): Promise<string> => {
    label = name;
    return toHex(await transmit(fromHex(command)));
  };

  const { spec, file } = cardPackage({ app: 'transit', issuerId: 1000, cardNumber: SESSION_CARD_NUMBER, termsLength: 600 });
  const gp = new GpSession(transmit, { random: () => fromHex(HOST_CHALLENGE) });
  label = 'SELECT ISD';
  await gp.selectIsd();
  label = 'SCP03 open (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE)';
  await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: SESSION_SECURITY_LEVEL });
  label = 'INSTALL [for load], LOAD, INSTALL [for install and make selectable]';
  await gp.install(parseLoadFile(file), {
    packageAid: spec.packageAid,
    moduleAid: spec.moduleAid,
    instanceAid: spec.instanceAid,
    privileges: spec.privileges,
  });
  label = 'GET STATUS';
  await gp.list();

  const terminal = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(SESSION_CARD_NUMBER)));
  const selectTransit = `00a40400${toHex(Uint8Array.of(spec.instanceAid.length))}${toHex(spec.instanceAid)}00`;
  await send('SELECT transit', selectTransit);
  await send('GET BALANCE', '805c000204');
  const initLoad = await send('INITIALIZE FOR LOAD', terminal.initLoad(2, 5000));
  await send('CREDIT FOR LOAD', terminal.credit(initLoad.slice(0, -4), 5000, 0x02, '20240315120000'));
  const initPurchase = await send('INITIALIZE FOR PURCHASE', terminal.initPurchase(2, 200));
  await send('DEBIT FOR PURCHASE', terminal.debit(initPurchase.slice(0, -4), '00000007', 200, 0x06, '20240315123000'));
  await send('READ RECORD 1 (SFI 18)', '00b201c400');
  await send('READ RECORD 2 (SFI 18)', '00b202c400');
  await send('GET BALANCE', '805c000204');
  phases.push(steps);

  steps = [];
  se = sessionSecureElement(flash);
  await send('SELECT transit after reboot', selectTransit);
  await send('GET BALANCE after reboot', '805c000204');
  await send('READ RECORD 1 after reboot', '00b201c400');
  phases.push(steps);

  return {
    phases,
    image: flash.snapshot(),
    loadTac: terminal.loadTac(5000, 0, 5000, 0x02, '20240315120000'),
    purchaseProof: terminal.purchaseProof('00000007', 200, 0x06, '20240315123000'),
  };
}

/**
 * The lines both runs print: one response (hex, lower case) per command, then one line per
 * flash page, "page N blank" or "page N <hex of its 4096 bytes>".
 */
export function sessionLines(record: SessionRecord): string[] {
  const lines = record.phases.flatMap((phase) => phase.map((s) => s.response));
  return lines.concat(imageLines(record.image));
}

export function imageLines(image: Uint8Array): string[] {
  const lines: string[] = [];
  const pageSize = image.length / SESSION_FLASH_PAGES;
  for (let p = 0; p < SESSION_FLASH_PAGES; p++) {
    const page = image.subarray(p * pageSize, (p + 1) * pageSize);
    lines.push(page.every((b) => b === 0xff) ? `page ${p} blank` : `page ${p} ${toHex(page)}`);
  }
  return lines;
}
