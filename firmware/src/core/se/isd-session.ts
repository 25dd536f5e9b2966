/**
 * The objects of one SCP03 session with the ISD: its secure messaging (scp03-card.ts), the AES
 * engine and CMAC for the static keys, and card content management (INSTALL and LOAD, DELETE, GET
 * STATUS). The secure channel module creates them with the INITIALIZE UPDATE that opens the
 * session and drops them when it ends: every command they serve needs an authenticated session
 * (GPCS 11.1), and on a board each object and each class they need is RAM held for as long as it
 * lives. A tap opens no session. The firmware build defines this file's code, and what only it
 * reaches, when a session opens, and each kind of content management when the session first uses
 * it (tools/firmware/lazy-parts.ts).
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
  private readonly content: SeContent;
  /**
   * The one content-management object in use (the others null): a LOAD sequence's loader, the
   * installer, or GET STATUS with its continuation. A command of another kind drops it (a load in
   * progress is aborted first: a LOAD sequence must not be interleaved, GPCS 11.6.2), so only the
   * code of the kind in use is defined on a board.
   */
  private loaderInUse: ContentLoader | null = null;
  private installerInUse: ContentInstaller | null = null;
  private statusInUse: GetStatus | null = null;

  constructor(aes: CipherFactory, content: SeContent) {
    this.channel = new Scp03CardSession(aes);
    this.staticCmac = new Cmac(aes());
    this.content = content;
  }

  loader(): ContentLoader {
    if (this.loaderInUse === null) {
      this.drop();
      this.loaderInUse = new ContentLoader(this.content.store, this.content.registry);
    }
    return this.loaderInUse;
  }

  installer(): ContentInstaller {
    if (this.installerInUse === null) {
      this.drop();
      const c = this.content;
      this.installerInUse = new ContentInstaller(c.store, c.registry, c.services, c.classes, c.slots);
    }
    return this.installerInUse;
  }

  status(): GetStatus {
    if (this.statusInUse === null) {
      this.drop();
      this.statusInUse = new GetStatus(this.content.registry);
    }
    return this.statusInUse;
  }

  /** Discards a load in progress (another command, a MAC failure, the session's end). */
  abortLoad(): void {
    if (this.loaderInUse !== null) this.loaderInUse.abort();
  }

  private drop(): void {
    this.abortLoad();
    this.loaderInUse = null;
    this.installerInUse = null;
    this.statusInUse = null;
  }
}
