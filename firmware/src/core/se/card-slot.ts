/**
 * A smart card slot of the SE: one virtual contactless card that holds one application instance.
 * reset() gives its ATR (3B 8n 80 01 ... TCK, atr.ts) and deselects its applet, like a card that
 * was powered off and on; exchange() passes APDUs to the applet.
 *
 * An installed instance gets its runtime object (a purse card's key schedules and record buffers,
 * ~250 JsVars on Espruino, and the purse's code, which the firmware build defines with it: ~560)
 * at its first SELECT, not when it is attached at boot or by INSTALL: a download then never holds
 * the card it installs beside the SCP03 session that installs it. The
 * object is made once per instance and kept until the instance is detached, so no APDU after that
 * first SELECT allocates.
 */
import type { CommandApdu } from '../apdu';
import { SW } from '../sw';
import type { ApduResponse, Applet, AppletClass, AppletContext } from './applet';
import { ATR_MAX_LEN, buildContactlessAtr } from './atr';

/** Historical bytes: "TAPCARD" and the slot number (ISO 7816-4 §8.1.1: proprietary, category 00 not used). */
const HIST_PREFIX = new Uint8Array([0x54, 0x41, 0x50, 0x43, 0x41, 0x52, 0x44]);

export class CardSlot {
  readonly index: number;
  /** The runtime object, made at the first SELECT of the instance attached. */
  applet: Applet | null = null;
  /** The instance attached (its class and context), or null when the slot is empty. */
  private appletClass: AppletClass | null = null;
  private context: AppletContext | null = null;
  /** The applet has been selected since the last reset. */
  selected = false;
  readonly atr = new Uint8Array(ATR_MAX_LEN);
  readonly atrLen: number;

  constructor(index: number) {
    this.index = index;
    const hist = new Uint8Array(HIST_PREFIX.length + 1);
    for (let i = 0; i < HIST_PREFIX.length; i++) hist[i] = HIST_PREFIX[i];
    hist[HIST_PREFIX.length] = 0x30 + index;
    this.atrLen = buildContactlessAtr(hist, 0, hist.length, this.atr);
  }

  /** An installed instance of appletClass goes into this slot; its runtime object is made at its first SELECT. */
  attach(appletClass: AppletClass, context: AppletContext): void {
    this.detach();
    this.appletClass = appletClass;
    this.context = context;
  }

  detach(): void {
    this.deselect();
    this.applet = null;
    this.appletClass = null;
    this.context = null;
  }

  /** An instance is attached (selectable once its registry record says so). */
  occupied(): boolean {
    return this.appletClass !== null;
  }

  /** Power cycle of this card: the applet is deselected. Returns the ATR length (ATR in `atr`). */
  reset(): number {
    this.deselect();
    return this.atrLen;
  }

  select(cmd: CommandApdu, rsp: ApduResponse): number {
    if (this.appletClass === null || this.context === null) return SW.ERR_FILE_NOT_FOUND;
    if (this.applet === null) this.applet = this.appletClass.create(this.context);
    const sw = this.applet.select(cmd, rsp);
    this.selected = sw === SW.OK || (sw & 0xff00) === 0x6200 || (sw & 0xff00) === 0x6300;
    return sw;
  }

  exchange(cmd: CommandApdu, rsp: ApduResponse): number {
    if (this.applet === null || !this.selected) return SW.ERR_CONDITIONS_NOT_SATISFIED;
    return this.applet.process(cmd, rsp);
  }

  deselect(): void {
    if (this.selected && this.applet !== null) this.applet.deselect();
    this.selected = false;
  }
}
