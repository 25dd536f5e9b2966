/**
 * The plain application class (package class 00): a selectable application with no commands of
 * its own, e.g. an issuer's placeholder or an identity card whose data lives in the card manager.
 * SELECT answers its FCI; anything else is 6D00.
 */
import type { CommandApdu } from '../apdu';
import { SW } from '../sw';
import type { ApduResponse, Applet, AppletClass, AppletContext } from '../se/applet';
import type { ElfReader } from '../se/elf-reader';
import { APP_CLASS_PLAIN } from '../se/package-header';

class PlainApplet implements Applet {
  private readonly ctx: AppletContext;

  constructor(ctx: AppletContext) {
    this.ctx = ctx;
  }

  select(_cmd: CommandApdu, rsp: ApduResponse): number {
    const w = this.ctx.services.writer.reset(rsp.buf, 0);
    w.open(0x6f);
    w.tlv(0x84, this.ctx.aid, 0, this.ctx.aidLen);
    w.close();
    rsp.len = w.pos;
    return SW.OK;
  }

  process(_cmd: CommandApdu, _rsp: ApduResponse): number {
    return SW.ERR_INS_NOT_SUPPORTED;
  }

  deselect(): void {}
}

export const plainAppletClass: AppletClass = {
  classId: APP_CLASS_PLAIN,
  name: 'plain',
  install(ctx: AppletContext, elf: ElfReader, _params: Uint8Array, _off: number, _len: number): number {
    const cm = ctx.services.cardManager;
    cm.init(APP_CLASS_PLAIN, ctx.aid, 0, ctx.aidLen, 0);
    if (elf.length === 0) return SW.ERR_WRONG_DATA;
    return cm.stage(ctx.slot) ? SW.OK : SW.ERR_NOT_ENOUGH_MEMORY;
  },
  create(ctx: AppletContext): Applet {
    return new PlainApplet(ctx);
  },
};
