/**
 * GET STATUS (GPCS 11.4): the command, and a reader for its TLV-format answer.
 *
 * Command: 80 F2 P1 P2 02 4F 00 00 — search criteria "any AID"; P1 80 ISD, 40 applications and
 * SSDs, 20 ELFs, 10 ELFs with their modules; P2 02 first, 03 next after SW 6310.
 *
 * Answer: repeated registry entries (GPCS Tables 11-36, 11-37):
 *   E3 len
 *     4F len AID                  the ISD, application or ELF
 *     9F70 01 life cycle state
 *     [C5 01|03 privileges]       ISD, applications, SSDs
 *     [CF 01 implicit selection]* (skipped)
 *     [C4 len ELF AID]            applications: the ELF they came from
 *     [CE 02 version]             ELFs
 *     [84 len module AID]*        ELFs with P1 10
 *     [CC len SD AID]             associated security domain
 */
import { copy } from '../bytes';
import { TlvReader } from '../tlv';
import {
  AID_MAX_LEN, CLA_GP, INS_GET_STATUS, P2_STATUS_TLV_FIRST, P2_STATUS_TLV_NEXT, TAG_AID, TAG_ASSOCIATED_SD, TAG_ELF_AID,
  TAG_ELF_VERSION, TAG_LIFE_CYCLE, TAG_MODULE_AID, TAG_PRIVILEGES, TAG_REGISTRY_ENTRY,
} from './constants';
import { finishCase4, startCommand } from './_lv';

/** Modules kept per ELF entry; more make the entry malformed for this reader. */
export const MAX_MODULES_PER_ENTRY = 16;

/** 80 F2 P1 P2 02 4F 00 00; `next` asks for the next occurrence (P2 03) after 6310. */
export function buildGetStatus(p1: number, next: boolean, out: Uint8Array): number {
  const o = startCommand(out, CLA_GP, INS_GET_STATUS, p1, next ? P2_STATUS_TLV_NEXT : P2_STATUS_TLV_FIRST);
  if (o < 0 || o + 2 > out.length) return -1;
  out[o] = TAG_AID;
  out[o + 1] = 0x00;
  return finishCase4(out, o + 2);
}

/** One E3 entry, filled in place by GetStatusReader.next(). */
export class RegistryEntry {
  readonly aid = new Uint8Array(AID_MAX_LEN);
  aidLen = 0;
  lifeCycle = -1;
  readonly privileges = new Uint8Array(3);
  /** 0 when absent, else 1 or 3. */
  privilegesLen = 0;
  readonly elfAid = new Uint8Array(AID_MAX_LEN);
  elfAidLen = 0;
  /** Tag CE: major << 8 | minor; -1 when absent. */
  version = -1;
  readonly sdAid = new Uint8Array(AID_MAX_LEN);
  sdAidLen = 0;
  /** Module AIDs of an ELF: module i is at modules[i * 16] with length moduleLens[i]. */
  readonly modules = new Uint8Array(MAX_MODULES_PER_ENTRY * AID_MAX_LEN);
  readonly moduleLens = new Uint8Array(MAX_MODULES_PER_ENTRY);
  moduleCount = 0;

  clear(): void {
    this.aidLen = 0;
    this.lifeCycle = -1;
    this.privilegesLen = 0;
    this.elfAidLen = 0;
    this.version = -1;
    this.sdAidLen = 0;
    this.moduleCount = 0;
  }
}

/** Walks the E3 entries of one GET STATUS answer (data without SW). */
export class GetStatusReader {
  private readonly outer = new TlvReader();
  private readonly inner = new TlvReader();
  private buf: Uint8Array = new Uint8Array(0);
  /** Set when next() stopped on malformed input rather than at the end. */
  malformed = false;

  reset(buf: Uint8Array, off: number, len: number): GetStatusReader {
    this.buf = buf;
    this.outer.reset(buf, off, len);
    this.malformed = false;
    return this;
  }

  /** Fills entry with the next E3 entry; false at the end or on malformed input (see `malformed`). */
  next(entry: RegistryEntry): boolean {
    entry.clear();
    if (!this.outer.next()) {
      this.malformed = this.outer.malformed;
      return false;
    }
    if (this.outer.tag !== TAG_REGISTRY_ENTRY || !this.readEntry(entry)) {
      this.malformed = true;
      return false;
    }
    return true;
  }

  private readEntry(e: RegistryEntry): boolean {
    const b = this.buf;
    const r = this.inner.reset(b, this.outer.valueOff, this.outer.length);
    while (r.next()) {
      const at = r.valueOff;
      const n = r.length;
      if (r.tag === TAG_AID) {
        if (!aidLength(n)) return false;
        copy(b, at, e.aid, 0, n);
        e.aidLen = n;
      } else if (r.tag === TAG_LIFE_CYCLE) {
        if (n !== 1) return false;
        e.lifeCycle = b[at];
      } else if (r.tag === TAG_PRIVILEGES) {
        if (n !== 1 && n !== 3) return false;
        copy(b, at, e.privileges, 0, n);
        e.privilegesLen = n;
      } else if (r.tag === TAG_ELF_AID) {
        if (!aidLength(n)) return false;
        copy(b, at, e.elfAid, 0, n);
        e.elfAidLen = n;
      } else if (r.tag === TAG_ELF_VERSION) {
        if (n !== 2) return false;
        e.version = (b[at] << 8) | b[at + 1];
      } else if (r.tag === TAG_MODULE_AID) {
        if (!aidLength(n) || e.moduleCount >= MAX_MODULES_PER_ENTRY) return false;
        copy(b, at, e.modules, e.moduleCount * AID_MAX_LEN, n);
        e.moduleLens[e.moduleCount] = n;
        e.moduleCount++;
      } else if (r.tag === TAG_ASSOCIATED_SD) {
        if (!aidLength(n)) return false;
        copy(b, at, e.sdAid, 0, n);
        e.sdAidLen = n;
      }
      // Other tags (CF implicit selection, proprietary ones) are skipped.
    }
    return !r.malformed && e.aidLen > 0 && e.lifeCycle >= 0;
  }
}

/** AIDs in registry entries: 1..16 bytes; shorter than 5 is tolerated on read, as cards list them. */
function aidLength(n: number): boolean {
  return n >= 1 && n <= AID_MAX_LEN;
}
