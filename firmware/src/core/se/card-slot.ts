/**
 * A smart card slot of the SE: one virtual contactless card that holds one application instance.
 * reset() gives its ATR (3B 8n 80 01 ... TCK, atr.ts) and deselects its applet, like a card that
 * was powered off and on; exchange() passes APDUs to the applet.
 */
import type { CommandApdu } from '../apdu';
import { SW } from '../sw';
import type { ApduResponse, Applet } from './applet';
import { ATR_MAX_LEN, buildContactlessAtr } from './atr';

/** Historical bytes: "TAPCARD" and the slot number (ISO 7816-4 §8.1.1: proprietary, category 00 not used). */
const HIST_PREFIX = new Uint8Array([0x54, 0x41, 0x50, 0x43, 0x41, 0x52, 0x44]);

export class CardSlot {
  readonly index: number;
  applet: Applet | null = null;
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

  attach(applet: Applet): void {
    this.detach();
    this.applet = applet;
  }

  detach(): void {
    this.deselect();
    this.applet = null;
  }

  /** Power cycle of this card: the applet is deselected. Returns the ATR length (ATR in `atr`). */
  reset(): number {
    this.deselect();
    return this.atrLen;
  }

  select(cmd: CommandApdu, rsp: ApduResponse): number {
    if (this.applet === null) return SW.ERR_FILE_NOT_FOUND;
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
