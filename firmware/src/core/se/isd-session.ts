/**
 * The objects of one SCP03 session with the ISD: its secure messaging (scp03-card.ts), the AES
 * engine and CMAC for the static keys, and card content management (INSTALL and LOAD, DELETE, GET
 * STATUS). The secure channel module creates them with the INITIALIZE UPDATE that opens the
 * session and drops them when it ends: every command they serve needs an authenticated session
 * (GPCS 11.1), and on a board each object and each class they need is RAM held for as long as it
 * lives. A tap opens no session. The firmware build defines this file's code, and what only it
 * reaches, when a session opens (tools/firmware/lazy-parts.ts).
 */
import type { CipherFactory } from '../crypto/block-cipher';
import { Cmac } from '../crypto/cmac';
import { KCV_LEN } from '../crypto/kcv';
import { CHALLENGE_LEN } from '../gp/scp03-session';
import type { Store } from '../store/store';
import type { AppletClass, SeServices } from './applet';
import type { CardSlot } from './card-slot';
import { ContentInstaller } from './content-installer';
import { ContentLoader } from './content-loader';
import { GetStatus } from './get-status';
import type { Registry } from './registry';
import { Scp03CardSession } from './scp03-card';
import { ISD_AID } from './aid';

export const MAX_KEY_LEN = 32;
/** A stored key set: keyType(1) | keyLen(1) | K-ENC | K-MAC | K-DEK */
export const KEYSET_HEADER = 2;
export const KEYSET_MAX_LEN = KEYSET_HEADER + 3 * MAX_KEY_LEN;

/** What card content management works on: the SE's own objects, lent to each session. */
export interface SeContent {
  readonly store: Store;
  readonly registry: Registry;
  readonly services: SeServices;
  readonly classes: AppletClass[];
  readonly slots: CardSlot[];
}

export class IsdSession {
  readonly channel: Scp03CardSession;
  /** The static-key engine (KDF, KCVs, K-DEK). */
  readonly staticCmac: Cmac;
  readonly loader: ContentLoader;
  readonly installer: ContentInstaller;
  readonly status: GetStatus;
  /**
   * The secure channel module's key work (secure-channel-module.ts), held with the session: a boot
   * and a tap need none of it. A key set read from the store, wiped straight after use.
   */
  readonly keySet = new Uint8Array(KEYSET_MAX_LEN);
  /** Session keys between their derivation and begin(), or PUT KEY's new keys: never both at once. */
  readonly derivedKeys = new Uint8Array(3 * MAX_KEY_LEN);
  /** KDF context: sequence counter || ISD AID, then host challenge || card challenge. */
  readonly context = new Uint8Array(2 * CHALLENGE_LEN + ISD_AID.length);
  readonly cardChallenge = new Uint8Array(CHALLENGE_LEN);
  readonly kcv = new Uint8Array(KCV_LEN);
  /** Where PUT KEY's three check values sit in its command. */
  readonly kcvAt: number[] = [0, 0, 0];

  constructor(aes: CipherFactory, content: SeContent) {
    this.channel = new Scp03CardSession(aes);
    this.staticCmac = new Cmac(aes());
    this.loader = new ContentLoader(content.store, content.registry);
    this.installer = new ContentInstaller(content.store, content.registry, content.services, content.classes, content.slots);
    this.status = new GetStatus(content.registry, content.services.writer);
  }
}
