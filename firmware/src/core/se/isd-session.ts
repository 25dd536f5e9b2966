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
import type { Store } from '../store/store';
import type { AppletClass, SeServices } from './applet';
import type { CardSlot } from './card-slot';
import { ContentInstaller } from './content-installer';
import { ContentLoader } from './content-loader';
import { GetStatus } from './get-status';
import type { Registry } from './registry';
import { Scp03CardSession } from './scp03-card';

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

  constructor(aes: CipherFactory, content: SeContent) {
    this.channel = new Scp03CardSession(aes);
    this.staticCmac = new Cmac(aes());
    this.loader = new ContentLoader(content.store, content.registry);
    this.installer = new ContentInstaller(content.store, content.registry, content.services, content.classes, content.slots);
    this.status = new GetStatus(content.registry, content.services.writer);
  }
}
