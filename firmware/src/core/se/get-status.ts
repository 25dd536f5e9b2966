/**
 * GET STATUS (GPCS 11.4): registry entries in TLV format (P2 02), continued with
 * P2 03 after 6310. Entries (Tables 11-36/37):
 *   ISD  (P1 80): E3 { 4F AID, 9F70 lifeCycle, C5 privileges(3) }
 *   apps (P1 40): E3 { 4F AID, 9F70 lifeCycle, C5 privileges(3), C4 ELF AID, CC ISD AID }
 *   ELFs (P1 20): E3 { 4F AID, 9F70 01, CE version(2), CC ISD AID }
 *   ELFs + modules (P1 10): the same plus 84 module AID
 * The search criteria (4F, possibly empty or partial) select entries by AID prefix.
 */
import type { CommandApdu } from '../apdu';
import { equalBytes } from '../bytes';
import {
  P1_STATUS_APPS,
  P1_STATUS_ISD,
  P1_STATUS_LOAD_FILES,
  P1_STATUS_LOAD_FILES_AND_MODULES,
  P2_STATUS_TLV_FIRST,
  P2_STATUS_TLV_NEXT,
} from '../gp/constants';
import { SW } from '../sw';
import { TlvReader, TlvWriter } from '../tlv';
import { ISD_AID } from './aid';
import type { ApduResponse } from './applet';
import {
  APP_AID,
  APP_AID_LEN,
  APP_ELF,
  APP_LIFE_CYCLE,
  APP_PRIVILEGES,
  ELF_AID,
  ELF_AID_LEN,
  ELF_MODULE,
  ELF_MODULE_LEN,
  ELF_VERSION,
  LC_ELF_LOADED,
  MAX_ELFS,
  SLOT_COUNT,
} from './records';
import type { Registry } from './registry';

const P1_ISD = P1_STATUS_ISD;
const P1_APPS = P1_STATUS_APPS;
const P1_ELFS = P1_STATUS_LOAD_FILES;
const P1_ELFS_MODULES = P1_STATUS_LOAD_FILES_AND_MODULES;
/** ISD privileges: Security Domain, Card Lock, Card Terminate, Card Reset, CVM | Trusted Path, Authorized Mgmt... (GPCS 11.1.2). */
const ISD_PRIVILEGES = new Uint8Array([0x9e, 0xfe, 0x80]);
/** Largest response data, leaving room for R-ENC padding and R-MAC within 256 bytes. */
const MAX_STATUS_DATA = 256 - 16 - 8;

export class GetStatus {
  private readonly registry: Registry;
  /** The SE's shared writer (applet.ts SeServices.writer). */
  private readonly writer: TlvWriter;
  private readonly criteria = new TlvReader();
  private readonly one = new Uint8Array(1);
  private readonly two = new Uint8Array(2);
  /** Continuation: the P1 and the next entry index after a 6310, or -1. */
  private pendingP1 = 0;
  private next = -1;
  private filterOff = 0;
  private filterLen = 0;
  private filterBuf: Uint8Array = new Uint8Array(16);

  constructor(registry: Registry, writer: TlvWriter) {
    this.registry = registry;
    this.writer = writer;
  }

  reset(): void {
    this.next = -1;
  }

  handle(cmd: CommandApdu, cardLifeCycle: number, rsp: ApduResponse): number {
    const p1 = cmd.p1;
    if (p1 !== P1_ISD && p1 !== P1_APPS && p1 !== P1_ELFS && p1 !== P1_ELFS_MODULES) return SW.ERR_WRONG_P1P2;
    let start = 0;
    if (cmd.p2 === P2_STATUS_TLV_NEXT) {
      if (this.next < 0 || this.pendingP1 !== p1) return SW.ERR_WRONG_P1P2;
      start = this.next;
    } else if (cmd.p2 === P2_STATUS_TLV_FIRST) {
      const c = this.criteria.reset(cmd.buf, cmd.dataOff, cmd.lc);
      if (!c.next() || c.tag !== 0x4f || c.length > 16) return SW.ERR_WRONG_DATA;
      for (let i = 0; i < c.length; i++) this.filterBuf[i] = cmd.buf[c.valueOff + i];
      this.filterOff = 0;
      this.filterLen = c.length;
      this.pendingP1 = p1;
    } else {
      return SW.ERR_WRONG_P1P2;
    }
    this.next = -1;
    const w = this.writer.reset(rsp.buf, 0);
    const count = p1 === P1_ISD ? 1 : p1 === P1_APPS ? SLOT_COUNT : MAX_ELFS;
    let found = 0;
    for (let i = start; i < count; i++) {
      const mark = w.pos;
      if (!this.entry(p1, i, cardLifeCycle)) continue;
      if (w.overflow || w.pos > MAX_STATUS_DATA) {
        // Entry did not fit: send what we have and continue from this one (6310).
        w.pos = mark;
        w.overflow = false;
        if (found === 0) return SW.ERR_NOT_ENOUGH_MEMORY;
        this.next = i;
        rsp.len = w.pos;
        return SW.WARN_MORE_DATA;
      }
      found++;
    }
    if (found === 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    rsp.len = w.pos;
    return SW.OK;
  }

  /** Writes entry i of the P1 category if it exists and matches the criteria. */
  private entry(p1: number, i: number, cardLifeCycle: number): boolean {
    const w = this.writer;
    const r = this.registry;
    if (p1 === P1_ISD) {
      if (!this.matches(ISD_AID, 0, ISD_AID.length)) return false;
      w.open(0xe3);
      w.tlv(0x4f, ISD_AID, 0, ISD_AID.length);
      w.byteTlv(0x9f70, cardLifeCycle);
      w.tlv(0xc5, ISD_PRIVILEGES, 0, 3);
      w.close();
      return true;
    }
    if (p1 === P1_APPS) {
      if (!r.appUsed[i]) return false;
      const a = r.appAt(i);
      if (!this.matches(r.apps, a + APP_AID, r.apps[a + APP_AID_LEN])) return false;
      const e = r.elfAt(r.apps[a + APP_ELF]);
      w.open(0xe3);
      w.tlv(0x4f, r.apps, a + APP_AID, r.apps[a + APP_AID_LEN]);
      w.byteTlv(0x9f70, r.apps[a + APP_LIFE_CYCLE]);
      w.tlv(0xc5, r.apps, a + APP_PRIVILEGES, 3);
      w.tlv(0xc4, r.elfs, e + ELF_AID, r.elfs[e + ELF_AID_LEN]);
      w.tlv(0xcc, ISD_AID, 0, ISD_AID.length);
      w.close();
      return true;
    }
    if (!r.elfUsed[i]) return false;
    const e = r.elfAt(i);
    if (!this.matches(r.elfs, e + ELF_AID, r.elfs[e + ELF_AID_LEN])) return false;
    this.one[0] = LC_ELF_LOADED;
    this.two[0] = r.elfs[e + ELF_VERSION];
    this.two[1] = r.elfs[e + ELF_VERSION + 1];
    w.open(0xe3);
    w.tlv(0x4f, r.elfs, e + ELF_AID, r.elfs[e + ELF_AID_LEN]);
    w.tlv(0x9f70, this.one, 0, 1);
    w.tlv(0xce, this.two, 0, 2);
    if (p1 === P1_ELFS_MODULES) w.tlv(0x84, r.elfs, e + ELF_MODULE, r.elfs[e + ELF_MODULE_LEN]);
    w.tlv(0xcc, ISD_AID, 0, ISD_AID.length);
    w.close();
    return true;
  }

  private matches(aid: Uint8Array, off: number, len: number): boolean {
    return this.filterLen <= len && equalBytes(this.filterBuf, this.filterOff, aid, off, this.filterLen);
  }
}
