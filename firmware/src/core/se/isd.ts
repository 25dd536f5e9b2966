/**
 * The issuer security domain (ISD, AID A000000151000000): GlobalPlatform card content management
 * behind SCP03. Commands are found in a const table; secure messaging is removed
 * before dispatch and added to the response after it (AmdD 6.2).
 */
import type { CommandApdu } from '../apdu';
import { copy } from '../bytes';
import {
  CLA_GP,
  CLA_SECURE_MESSAGING_BIT,
  INS_DELETE,
  INS_EXTERNAL_AUTHENTICATE,
  INS_GET_DATA,
  INS_GET_STATUS,
  INS_INITIALIZE_UPDATE,
  INS_INSTALL,
  INS_LOAD,
  INS_PUT_KEY,
  P1_INSTALL_FOR_LOAD,
  P1_INSTALL_FOR_MAKE_SELECTABLE,
  TAG_CARD_DATA,
  TAG_KEY_INFORMATION_TEMPLATE,
} from '../gp/constants';
import { SW } from '../sw';
import { TlvWriter } from '../tlv';
import { ISD_AID } from './aid';
import type { ApduResponse } from './applet';
import type { IsdSession } from './isd-session';
import type { SecureChannelModule } from './secure-channel-module';

const CLA_GP_SM = CLA_GP | CLA_SECURE_MESSAGING_BIT;

/** GPCS H.2 card recognition data (tag 66): GP 2.3.1, SCP03 i=70. */
const CARD_DATA = new Uint8Array([
  0x66, 0x31, 0x73, 0x2f, 0x06, 0x07, 0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x01, 0x60, 0x0c, 0x06, 0x0a, 0x2a, 0x86, 0x48,
  0x86, 0xfc, 0x6b, 0x02, 0x02, 0x03, 0x01, 0x63, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x03, 0x64, 0x0b,
  0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x04, 0x03, 0x70,
]);
/** Max command data length the ISD takes (FCI tag 9F65). */
export const MAX_COMMAND_DATA = 0xff;

/** Needs an authenticated SCP03 session. */
const SECURED = 1;
/** Also takes the ISO class 00 (GP Card Specification v2.3.1 §11.3.1: GET DATA, CLA 00-0F or 80-8F). */
const ISO_CLASS = 2;
/**
 * The command table: INS of command i at COMMAND_INS[i], what it needs at COMMAND_FLAGS[i]; run()
 * dispatches on the INS. Flat bytes instead of one object and one closure per command: on
 * Espruino each is a JsVar for as long as the firmware runs.
 */
const COMMAND_INS = new Uint8Array([INS_INSTALL, INS_LOAD, INS_DELETE, INS_GET_STATUS, INS_PUT_KEY, INS_GET_DATA]);
const COMMAND_FLAGS = new Uint8Array([SECURED, SECURED, SECURED, SECURED, SECURED, ISO_CLASS]);

export class Isd {
  readonly scm: SecureChannelModule;
  cardLifeCycle = 0x0f;
  /** The SE's shared writer (applet.ts SeServices.writer). */
  private readonly writer: TlvWriter;

  constructor(scm: SecureChannelModule, writer: TlvWriter) {
    this.scm = scm;
    this.writer = writer;
  }

  /** SELECT answer: FCI 6F { 84 AID, A5 { 9F65 max command data } } (GPCS 11.9.3). */
  select(rsp: ApduResponse): number {
    this.deselect();
    const w = this.writer.reset(rsp.buf, 0);
    w.open(0x6f);
    w.tlv(0x84, ISD_AID, 0, ISD_AID.length);
    w.open(0xa5);
    w.byteTlv(0x9f65, MAX_COMMAND_DATA);
    w.close();
    w.close();
    rsp.len = w.pos;
    return SW.OK;
  }

  /** Deselect, reset or power loss: the session ends and a partial load is discarded. */
  deselect(): void {
    this.scm.endSession();
  }

  process(cmd: CommandApdu, rsp: ApduResponse): number {
    const session = this.scm.session;
    const cla = cmd.cla;
    if (cla !== CLA_GP && cla !== CLA_GP_SM && cla !== 0x00) return SW.ERR_CLA_NOT_SUPPORTED;
    // A LOAD sequence must not be interleaved with other commands (GPCS 11.6.2).
    if (cmd.ins !== INS_LOAD && session !== null) session.loader.abort();
    if (cmd.ins === INS_INITIALIZE_UPDATE && cla === CLA_GP) return this.scm.initializeUpdate(cmd, rsp);
    if (cmd.ins === INS_EXTERNAL_AUTHENTICATE && cla === CLA_GP_SM) {
      // No session: what the session answers when INITIALIZE UPDATE did not come first.
      if (session === null) return SW.ERR_CONDITIONS_NOT_SATISFIED;
      const sw = session.channel.externalAuthenticate(cmd);
      this.scm.dropClosedSession();
      return sw;
    }
    const authenticated = session !== null && session.channel.state === 'AUTHENTICATED';
    if (authenticated) {
      const sw = session.channel.unwrapCommand(cmd);
      if (sw !== 0) {
        session.loader.abort();
        this.scm.dropClosedSession();
        return sw;
      }
    } else if ((cla & 0x04) !== 0) {
      return SW.ERR_SECURITY_STATUS;
    }
    let flags = -1;
    for (let i = 0; i < COMMAND_INS.length; i++) if (COMMAND_INS[i] === cmd.ins) flags = COMMAND_FLAGS[i];
    if (flags < 0) return SW.ERR_INS_NOT_SUPPORTED;
    if (cmd.cla !== CLA_GP && !((flags & ISO_CLASS) !== 0 && cmd.cla === 0x00)) return SW.ERR_CLA_NOT_SUPPORTED;
    if ((flags & SECURED) !== 0 && !authenticated) return SW.ERR_SECURITY_STATUS;
    const sw = this.run(cmd, rsp, session);
    if (sw !== SW.OK && sw !== SW.WARN_MORE_DATA) rsp.len = 0;
    if (authenticated) rsp.len = session.channel.wrapResponse(rsp.buf, rsp.len, sw);
    return sw;
  }

  /** One of the table's commands, by its INS; all but GET DATA run in an authenticated session. */
  private run(cmd: CommandApdu, rsp: ApduResponse, session: IsdSession | null): number {
    if (cmd.ins === INS_GET_DATA) return this.getData(cmd, rsp);
    if (session === null) return SW.ERR_SECURITY_STATUS;
    switch (cmd.ins) {
      case INS_INSTALL:
        return this.install(cmd, rsp, session);
      case INS_LOAD:
        return session.loader.load(cmd, rsp);
      case INS_DELETE:
        return session.installer.deleteContent(cmd, rsp);
      case INS_GET_STATUS:
        return session.status.handle(cmd, this.cardLifeCycle, rsp);
      case INS_PUT_KEY:
        return this.scm.putKey(cmd, rsp);
      default:
        return SW.ERR_INS_NOT_SUPPORTED;
    }
  }

  install(cmd: CommandApdu, rsp: ApduResponse, session: IsdSession): number {
    const p1 = cmd.p1 & 0x7f;
    if (p1 === P1_INSTALL_FOR_LOAD) return session.loader.installForLoad(cmd, rsp);
    if (p1 === P1_INSTALL_FOR_MAKE_SELECTABLE) return session.installer.makeSelectable(cmd, rsp);
    if ((p1 & 0x04) !== 0 && (p1 & ~0x0c) === 0) return session.installer.install(cmd, rsp);
    return SW.ERR_WRONG_P1P2;
  }

  /** GET DATA (GPCS 11.3): 00E0 key information template, 0066 card data. */
  getData(cmd: CommandApdu, rsp: ApduResponse): number {
    const tag = (cmd.p1 << 8) | cmd.p2;
    if (tag === TAG_KEY_INFORMATION_TEMPLATE) {
      const w = this.writer.reset(rsp.buf, 0);
      this.scm.writeKeyInformation(w);
      if (w.overflow) return SW.ERR_NO_PRECISE_DIAGNOSIS;
      rsp.len = w.pos;
      return SW.OK;
    }
    if (tag === TAG_CARD_DATA) {
      copy(CARD_DATA, 0, rsp.buf, 0, CARD_DATA.length);
      rsp.len = CARD_DATA.length;
      return SW.OK;
    }
    return SW.ERR_REFERENCED_DATA_NOT_FOUND;
  }
}
