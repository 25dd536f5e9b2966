/**
 * INSTALL [for install (and make selectable)], INSTALL [for make selectable] and DELETE (GP Card
 * Specification v2.3.1 §11.5, §11.2).
 * An instance goes into a free smart card slot; its registry record, its applet's records and its
 * card-manager record are written in one store transaction. DELETE removes the same set (plus the
 * load file with P2 80) in one transaction.
 */
import type { CommandApdu } from '../apdu';
import { copy, equalBytes, fill, readU24 } from '../bytes';
import { P1_INSTALL_FOR_MAKE_SELECTABLE, P2_DELETE_RELATED, TAG_AID } from '../gp/constants';
import type { Store } from '../store/store';
import { SW } from '../sw';
import { TlvReader } from '../tlv';
import { ISD_AID, validAidLength } from './aid';
import { AppletContext, type ApduResponse, type AppletClass, type SeServices } from './applet';
import type { CardSlot } from './card-slot';
import { ElfReader } from './elf-reader';
import {
  APP_AID,
  APP_AID_LEN,
  APP_CLASS,
  APP_ELF,
  APP_LIFE_CYCLE,
  APP_PRIVILEGES,
  APP_RECORD_LEN,
  ELF_APP_CLASS,
  ELF_DATA_LEN,
  ELF_MODULE,
  ELF_MODULE_LEN,
  LC_APP_SELECTABLE,
  REC_APP,
  REC_APP_DATA_BASE,
  REC_ELF,
  REC_ELF_CHUNK_BASE,
  SLOT_COUNT,
} from './records';
import type { Registry } from './registry';

const TAG_APP_PARAMS = 0xc9;
/** GPCS 11.1.5: application installed but not selectable. */
const LC_APP_INSTALLED = 0x03;

export class ContentInstaller {
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly services: SeServices;
  private readonly classes: AppletClass[];
  private readonly slots: CardSlot[];
  private readonly elfReader: ElfReader;
  private readonly app = new Uint8Array(APP_RECORD_LEN);
  private readonly tlv = new TlvReader();
  /** Offsets and lengths of the six LV fields of INSTALL [for install]. */
  private readonly fieldOff: number[] = [0, 0, 0, 0, 0, 0];
  private readonly fieldLen: number[] = [0, 0, 0, 0, 0, 0];

  constructor(store: Store, registry: Registry, services: SeServices, classes: AppletClass[], slots: CardSlot[]) {
    this.store = store;
    this.registry = registry;
    this.services = services;
    this.classes = classes;
    this.slots = slots;
    this.elfReader = new ElfReader(store);
  }

  /**
   * INSTALL [for install] data (GPCS Table 11-43):
   *   len | ELF AID | len | module AID | len | instance AID | len | privileges (1 or 3) |
   *   len | install params (C9 len app-params [EF ...]) | len | token
   */
  install(cmd: CommandApdu, rsp: ApduResponse): number {
    if (!this.readFields(cmd)) return SW.ERR_WRONG_DATA;
    const b = cmd.buf;
    const offs = this.fieldOff;
    const lens = this.fieldLen;
    if (!validAidLength(lens[0]) || !validAidLength(lens[1]) || !validAidLength(lens[2])) return SW.ERR_WRONG_DATA;
    if (lens[3] !== 1 && lens[3] !== 3) return SW.ERR_WRONG_DATA;
    const elfIndex = this.registry.findElf(b, offs[0], lens[0]);
    if (elfIndex < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    const e = this.registry.elfAt(elfIndex);
    const elfs = this.registry.elfs;
    if (elfs[e + ELF_MODULE_LEN] !== lens[1] || !equalBytes(elfs, e + ELF_MODULE, b, offs[1], lens[1])) {
      return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    }
    const appClass = this.findClass(elfs[e + ELF_APP_CLASS]);
    if (appClass === null) return SW.ERR_WRONG_DATA;
    if (this.registry.findApp(b, offs[2], lens[2]) >= 0 || (lens[2] === ISD_AID.length && equalBytes(ISD_AID, 0, b, offs[2], lens[2]))) {
      return SW.ERR_CONDITIONS_NOT_SATISFIED;
    }
    // Application parameters: the value of C9 inside the install parameters (may be empty).
    let paramsOff = offs[4];
    let paramsLen = 0;
    if (lens[4] > 0) {
      const r = this.tlv.reset(b, offs[4], lens[4]);
      if (!r.find(TAG_APP_PARAMS)) return SW.ERR_WRONG_DATA;
      paramsOff = r.valueOff;
      paramsLen = r.length;
    }
    const slot = this.registry.freeSlot();
    if (slot < 0) return SW.ERR_NOT_ENOUGH_MEMORY;

    fill(this.app, 0, APP_RECORD_LEN, 0);
    this.app[APP_AID_LEN] = lens[2];
    copy(b, offs[2], this.app, APP_AID, lens[2]);
    this.app[APP_ELF] = elfIndex;
    copy(b, offs[3], this.app, APP_PRIVILEGES, lens[3]);
    this.app[APP_LIFE_CYCLE] = (cmd.p1 & P1_INSTALL_FOR_MAKE_SELECTABLE) !== 0 ? LC_APP_SELECTABLE : LC_APP_INSTALLED;
    this.app[APP_CLASS] = appClass.classId;

    // The context install() personalises through; the slot gets its own below.
    const ctx = new AppletContext(slot, this.services, this.app.subarray(APP_AID, APP_AID + 16), lens[2]);
    this.elfReader.open(elfIndex, readU24(elfs, e + ELF_DATA_LEN));
    this.store.begin();
    let sw: number = this.store.put(REC_APP, slot, this.app, 0, APP_RECORD_LEN) ? SW.OK : SW.ERR_NOT_ENOUGH_MEMORY;
    if (sw === SW.OK) sw = appClass.install(ctx, this.elfReader, b, paramsOff, paramsLen);
    if (sw === SW.OK && !this.store.commit()) sw = SW.ERR_MEMORY_FAILURE;
    if (sw !== SW.OK) {
      this.store.abort();
      return sw;
    }
    this.registry.reload();
    // The runtime object, made at the instance's first SELECT (card-slot.ts), reads its committed
    // records; a fresh AID buffer outlives this.app.
    const aid = new Uint8Array(lens[2]);
    copy(this.registry.apps, this.registry.appAt(slot) + APP_AID, aid, 0, lens[2]);
    this.slots[slot].attach(appClass, new AppletContext(slot, this.services, aid, lens[2]));
    rsp.buf[0] = 0;
    rsp.len = 1;
    return SW.OK;
  }

  /**
   * INSTALL [for make selectable] (GPCS 11.5.2.3.4, Table 11-45): the same six LV fields with the
   * load file and module AIDs empty; an application installed by INSTALL [for install] alone (life
   * cycle INSTALLED) becomes SELECTABLE, with the privileges given if any.
   */
  makeSelectable(cmd: CommandApdu, rsp: ApduResponse): number {
    if (!this.readFields(cmd)) return SW.ERR_WRONG_DATA;
    const lens = this.fieldLen;
    if (lens[0] !== 0 || lens[1] !== 0 || !validAidLength(lens[2]) || (lens[3] !== 0 && lens[3] !== 1 && lens[3] !== 3)) return SW.ERR_WRONG_DATA;
    const slot = this.registry.findApp(cmd.buf, this.fieldOff[2], lens[2]);
    if (slot < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    copy(this.registry.apps, this.registry.appAt(slot), this.app, 0, APP_RECORD_LEN);
    if (this.app[APP_LIFE_CYCLE] !== LC_APP_INSTALLED) return SW.ERR_CONDITIONS_NOT_SATISFIED;
    this.app[APP_LIFE_CYCLE] = LC_APP_SELECTABLE;
    if (lens[3] > 0) {
      fill(this.app, APP_PRIVILEGES, 3, 0);
      copy(cmd.buf, this.fieldOff[3], this.app, APP_PRIVILEGES, lens[3]);
    }
    this.store.begin();
    if (!this.store.put(REC_APP, slot, this.app, 0, APP_RECORD_LEN) || !this.store.commit()) {
      this.store.abort();
      return SW.ERR_MEMORY_FAILURE;
    }
    this.registry.reload();
    rsp.buf[0] = 0;
    rsp.len = 1;
    return SW.OK;
  }

  /** The six LV fields of INSTALL [for install] / [for make selectable] into fieldOff/fieldLen; false if malformed. */
  private readFields(cmd: CommandApdu): boolean {
    const b = cmd.buf;
    const end = cmd.dataOff + cmd.lc;
    let p = cmd.dataOff;
    for (let f = 0; f < 6; f++) {
      if (p >= end) return false;
      let l = b[p++];
      if (l === 0x81 && f === 4) {
        if (p >= end) return false;
        l = b[p++];
      }
      if (p + l > end) return false;
      this.fieldOff[f] = p;
      this.fieldLen[f] = l;
      p += l;
    }
    return p === end;
  }

  /** DELETE `80 E4 00 P2 Lc 4F len AID` (P2 80: with related objects). */
  deleteContent(cmd: CommandApdu, rsp: ApduResponse): number {
    if ((cmd.p2 & 0x7f) !== 0) return SW.ERR_WRONG_P1P2;
    const r = this.tlv.reset(cmd.buf, cmd.dataOff, cmd.lc);
    if (!r.next() || r.tag !== TAG_AID || !validAidLength(r.length)) return SW.ERR_WRONG_DATA;
    const b = cmd.buf;
    if (r.length === ISD_AID.length && equalBytes(ISD_AID, 0, b, r.valueOff, r.length)) return SW.ERR_CONDITIONS_NOT_SATISFIED;
    const related = (cmd.p2 & P2_DELETE_RELATED) !== 0;
    const slot = this.registry.findApp(b, r.valueOff, r.length);
    const elf = slot >= 0 ? -1 : this.registry.findElf(b, r.valueOff, r.length);
    if (slot < 0 && elf < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    if (elf >= 0 && !related && this.appsOf(elf) > 0) return SW.ERR_CONDITIONS_NOT_SATISFIED;

    this.store.begin();
    let ok = true;
    if (slot >= 0) {
      ok = this.removeApp(slot);
    } else {
      for (let s = 0; s < SLOT_COUNT && ok; s++) if (this.registry.appUsed[s] && this.registry.apps[this.registry.appAt(s) + APP_ELF] === elf) ok = this.removeApp(s);
      ok = ok && this.removeType(REC_ELF_CHUNK_BASE + elf) && this.store.remove(REC_ELF, elf);
    }
    if (!ok || !this.store.commit()) {
      this.store.abort();
      return SW.ERR_MEMORY_FAILURE;
    }
    this.registry.reload();
    for (let s = 0; s < SLOT_COUNT; s++) if (!this.registry.appUsed[s]) this.slots[s].detach();
    rsp.buf[0] = 0;
    rsp.len = 1;
    return SW.OK;
  }

  private appsOf(elf: number): number {
    let n = 0;
    for (let s = 0; s < SLOT_COUNT; s++) if (this.registry.appUsed[s] && this.registry.apps[this.registry.appAt(s) + APP_ELF] === elf) n++;
    return n;
  }

  private removeApp(slot: number): boolean {
    return this.store.remove(REC_APP, slot) && this.services.cardManager.unstage(slot) && this.removeType(REC_APP_DATA_BASE + slot);
  }

  /** Removes every record of a type (ELF chunks, an applet's data). */
  private removeType(type: number): boolean {
    let id = this.store.nextId(type, -1);
    while (id >= 0) {
      if (!this.store.remove(type, id)) return false;
      id = this.store.nextId(type, id);
    }
    return true;
  }

  private findClass(classId: number): AppletClass | null {
    for (let i = 0; i < this.classes.length; i++) if (this.classes[i].classId === classId) return this.classes[i];
    return null;
  }
}
