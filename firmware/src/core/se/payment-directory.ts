/**
 * The contactless payment directory: SELECT of 2PAY.SYS.DDF01 (the PPSE of EMV Contactless Book B
 * §3.3) lists the installed payment applications, so a reader that does not know a card's AID can
 * find it, as on a phone. Transit and e-cash cards are payment applications; loyalty cards are not.
 *
 *   6F { 84 "2PAY.SYS.DDF01", A5 { BF0C { 61 { 4F AID, 50 label, 87 priority } ... } } }
 * The default card (Card Reset privilege) comes first with priority 1, then the others by slot.
 * The label is the application class name (applet.ts AppletClass.name).
 */
import type { ApduResponse, AppletClass } from './applet';
import { equalBytes } from '../bytes';
import { APP_AID, APP_AID_LEN, APP_CLASS, APP_LIFE_CYCLE, LC_APP_SELECTABLE, SLOT_COUNT } from './records';
import type { Registry } from './registry';
import { APP_CLASS_ECASH, APP_CLASS_TRANSIT } from './package-header';
import { SW } from '../sw';
import { TlvWriter } from '../tlv';

/** "2PAY.SYS.DDF01" */
export const PPSE_NAME = new Uint8Array([0x32, 0x50, 0x41, 0x59, 0x2e, 0x53, 0x59, 0x53, 0x2e, 0x44, 0x44, 0x46, 0x30, 0x31]);
const LABEL_MAX = 16;

export class PaymentDirectory {
  private readonly registry: Registry;
  private readonly classes: AppletClass[];
  /** The SE's shared writer (applet.ts SeServices.writer). */
  private readonly writer: TlvWriter;
  private readonly label = new Uint8Array(LABEL_MAX);

  constructor(registry: Registry, classes: AppletClass[], writer: TlvWriter) {
    this.registry = registry;
    this.classes = classes;
    this.writer = writer;
  }

  /** True when the SELECT data names the PPSE. */
  isPpse(buf: Uint8Array, off: number, len: number): boolean {
    return len === PPSE_NAME.length && equalBytes(PPSE_NAME, 0, buf, off, len);
  }

  /** Writes the directory FCI; defaultSlot (or -1) is listed first. */
  answer(rsp: ApduResponse, defaultSlot: number): number {
    const w = this.writer.reset(rsp.buf, 0);
    w.open(0x6f);
    w.tlv(0x84, PPSE_NAME, 0, PPSE_NAME.length);
    w.open(0xa5);
    w.open(0xbf0c);
    let priority = 1;
    if (defaultSlot >= 0 && this.isPayment(defaultSlot)) this.entry(w, defaultSlot, priority++);
    for (let s = 0; s < SLOT_COUNT; s++) if (s !== defaultSlot && this.isPayment(s)) this.entry(w, s, priority++);
    w.close();
    w.close();
    w.close();
    if (w.overflow) return SW.ERR_NO_PRECISE_DIAGNOSIS;
    rsp.len = w.pos;
    return SW.OK;
  }

  private isPayment(slot: number): boolean {
    const r = this.registry;
    if (!r.appUsed[slot]) return false;
    const a = r.appAt(slot);
    const cls = r.apps[a + APP_CLASS];
    return r.apps[a + APP_LIFE_CYCLE] === LC_APP_SELECTABLE && (cls === APP_CLASS_TRANSIT || cls === APP_CLASS_ECASH);
  }

  private entry(w: TlvWriter, slot: number, priority: number): void {
    const r = this.registry;
    const a = r.appAt(slot);
    w.open(0x61);
    w.tlv(0x4f, r.apps, a + APP_AID, r.apps[a + APP_AID_LEN]);
    const n = this.labelOf(r.apps[a + APP_CLASS]);
    if (n > 0) w.tlv(0x50, this.label, 0, n);
    w.byteTlv(0x87, priority);
    w.close();
  }

  /** The class name as ASCII in `label`; its length (0 when the class is unknown). */
  private labelOf(classId: number): number {
    for (let i = 0; i < this.classes.length; i++) {
      const c = this.classes[i];
      if (c.classId !== classId) continue;
      const n = c.name.length < LABEL_MAX ? c.name.length : LABEL_MAX;
      for (let j = 0; j < n; j++) this.label[j] = c.name.charCodeAt(j) & 0x7f;
      return n;
    }
    return 0;
  }
}
