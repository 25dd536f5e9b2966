/**
 * The GP registry in RAM: a copy of the committed ELF and APP records (records.ts), reloaded from
 * the store after every committed change, so lookups on the APDU path never touch flash.
 */
import { equalBytes } from '../bytes';
import type { Store } from '../store/store';
import {
  APP_AID,
  APP_AID_LEN,
  APP_RECORD_LEN,
  ELF_AID,
  ELF_AID_LEN,
  ELF_RECORD_LEN,
  MAX_ELFS,
  REC_APP,
  REC_ELF,
  SLOT_COUNT,
} from './records';

export class Registry {
  private readonly store: Store;
  /** ELF records, MAX_ELFS x ELF_RECORD_LEN; elfUsed[i] tells which are present. */
  readonly elfs = new Uint8Array(MAX_ELFS * ELF_RECORD_LEN);
  readonly elfUsed: boolean[] = [];
  /** APP records by slot. */
  readonly apps = new Uint8Array(SLOT_COUNT * APP_RECORD_LEN);
  readonly appUsed: boolean[] = [];

  constructor(store: Store) {
    this.store = store;
    for (let i = 0; i < MAX_ELFS; i++) this.elfUsed.push(false);
    for (let i = 0; i < SLOT_COUNT; i++) this.appUsed.push(false);
  }

  reload(): void {
    for (let i = 0; i < MAX_ELFS; i++) {
      this.elfUsed[i] = this.store.get(REC_ELF, i, this.elfs, i * ELF_RECORD_LEN) === ELF_RECORD_LEN;
    }
    for (let s = 0; s < SLOT_COUNT; s++) {
      this.appUsed[s] = this.store.get(REC_APP, s, this.apps, s * APP_RECORD_LEN) === APP_RECORD_LEN;
    }
  }

  /** Offset of ELF i's record in `elfs`. */
  elfAt(i: number): number {
    return i * ELF_RECORD_LEN;
  }

  appAt(slot: number): number {
    return slot * APP_RECORD_LEN;
  }

  findElf(aid: Uint8Array, off: number, len: number): number {
    for (let i = 0; i < MAX_ELFS; i++) {
      const r = i * ELF_RECORD_LEN;
      if (this.elfUsed[i] && this.elfs[r + ELF_AID_LEN] === len && equalBytes(this.elfs, r + ELF_AID, aid, off, len)) return i;
    }
    return -1;
  }

  /** Slot holding the application with this AID (exact match), or -1. */
  findApp(aid: Uint8Array, off: number, len: number): number {
    for (let s = 0; s < SLOT_COUNT; s++) {
      const r = s * APP_RECORD_LEN;
      if (this.appUsed[s] && this.apps[r + APP_AID_LEN] === len && equalBytes(this.apps, r + APP_AID, aid, off, len)) return s;
    }
    return -1;
  }

  /** Slot whose application AID starts with the given (partial) AID, searching after `after` (ISO 7816-4 §5.3.1). */
  findAppByPrefix(aid: Uint8Array, off: number, len: number, after: number): number {
    for (let s = after + 1; s < SLOT_COUNT; s++) {
      const r = s * APP_RECORD_LEN;
      if (this.appUsed[s] && this.apps[r + APP_AID_LEN] >= len && equalBytes(this.apps, r + APP_AID, aid, off, len)) return s;
    }
    return -1;
  }

  freeElf(): number {
    for (let i = 0; i < MAX_ELFS; i++) if (!this.elfUsed[i]) return i;
    return -1;
  }

  freeSlot(): number {
    for (let s = 0; s < SLOT_COUNT; s++) if (!this.appUsed[s]) return s;
    return -1;
  }
}
