/**
 * One purse card instance at run time: its persistent state, its transaction session, its crypto
 * and the scratch its command handlers share (load.ts, purchase.ts, purse-files.ts, pin.ts). All
 * allocated when the instance is created; handlers allocate nothing.
 */
import { PbocCrypto } from '../../crypto/pboc';
import type { CommandApdu } from '../../apdu';
import type { ApduResponse, AppletContext } from '../../se/applet';
import { MAC_LEN, PurseCrypto } from './purse-crypto';
import { PurseStore } from './purse-store';
import { PurseSession } from './session';
import { FLAG_ED, FLAG_EP, CFG_FLAGS, PURSE_ED, PURSE_EP, TX_ED_LOAD, TX_ED_PURCHASE, TX_EP_LOAD, TX_EP_PURCHASE } from './records';

/** What tells a transit card from an e-cash card: the rest is the same purse engine. */
export interface PurseProfile {
  classId: number;
  name: string;
  /** SFI 15 byte 8. */
  appType: number;
  /** FLAG_ED and/or FLAG_EP: the purses this class has (P2 01 / 02 of the purse commands). */
  purses: number;
}

export class PurseCard {
  readonly ctx: AppletContext;
  readonly profile: PurseProfile;
  readonly store: PurseStore;
  readonly session = new PurseSession();
  readonly crypto: PurseCrypto;
  /** The MAC the card expects, compared in constant time with the one received. */
  readonly expectedMac = new Uint8Array(MAC_LEN);
  /** The PIN was verified since SELECT (e-cash ED purchases need it when the card has a PIN). */
  pinVerified = false;
  /** CONFIG and STATE were readable when the card was created. */
  readonly ready: boolean;
  /**
   * The command being handled and its response, set by PurseApplet.process() before it calls a
   * handler: a handler takes the card alone (on Espruino each parameter of a defined function
   * costs a JsVar for as long as the purse's code is defined).
   */
  cmd: CommandApdu | null = null;
  rsp: ApduResponse | null = null;

  constructor(ctx: AppletContext, profile: PurseProfile) {
    this.ctx = ctx;
    this.profile = profile;
    // A third DES engine for the TAC key: the card keeps its key schedules between taps (pboc.ts).
    this.crypto = new PurseCrypto(new PbocCrypto(ctx.services.des(), ctx.services.tripleDes(), ctx.services.des()));
    this.store = new PurseStore(ctx);
    this.ready = this.store.load();
  }

  /** The purse named by a command's P2 (01 ED, 02 EP), or -1 when this card has no such purse. */
  purseOf(p2: number): number {
    const flags = this.store.config[CFG_FLAGS];
    if (p2 === 0x01 && (flags & FLAG_ED) !== 0) return PURSE_ED;
    if (p2 === 0x02 && (flags & FLAG_EP) !== 0) return PURSE_EP;
    return -1;
  }

  /** The transaction type of a load (load true) or a purchase from this purse. */
  txType(purse: number, load: boolean): number {
    if (load) return purse === PURSE_ED ? TX_ED_LOAD : TX_EP_LOAD;
    return purse === PURSE_ED ? TX_ED_PURCHASE : TX_EP_PURCHASE;
  }

  /**
   * Ends any transaction and forgets session secrets (deselect, reset, a failed CREDIT/DEBIT). A
   * tap ends the session four times (deselect and SELECT, INITIALIZE, the end of DEBIT) and only
   * the last has anything to forget: each part is wiped only when it may hold something.
   */
  endSession(): void {
    const s = this.session;
    if (s.state !== 'IDLE' || s.held) s.step('END');
    this.crypto.clear();
    if (this.store.keyHeld) this.store.wipeKey();
  }
}
