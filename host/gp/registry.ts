/**
 * The card registry as the host shows it (GET STATUS; GPCS 11.4, 11.1.1-11.1.2):
 * plain objects with hex AIDs, and the names of life cycle states and privileges.
 */
import { toHex } from '../../firmware/src/core/hex';
import { AID_MAX_LEN } from '../../firmware/src/core/gp/constants';
import type { RegistryEntry } from '../../firmware/src/core/gp/get-status';

export type EntryKind = 'ISD' | 'APP' | 'PKG';

export interface RegistryItem {
  kind: EntryKind;
  /** Hex, upper case. */
  aid: string;
  lifeCycle: number;
  lifeCycleName: string;
  /** Privilege bytes (hex) and names; absent for load files. */
  privileges?: string;
  privilegeNames?: string[];
  /** Applications: the load file they came from. */
  loadFile?: string;
  /** Load files: version "major.minor". */
  version?: string;
  /** Load files: their modules (GET STATUS P1 10). */
  modules?: string[];
  /** Associated security domain. */
  securityDomain?: string;
}

export interface CardRegistry {
  isd: RegistryItem[];
  apps: RegistryItem[];
  loadFiles: RegistryItem[];
}

const hex = (b: Uint8Array, off: number, len: number): string => toHex(b, off, len).toUpperCase();

/** Copies a reader's entry (fixed buffers, reused) into a plain object. */
export function toRegistryItem(kind: EntryKind, e: RegistryEntry): RegistryItem {
  const item: RegistryItem = { kind, aid: hex(e.aid, 0, e.aidLen), lifeCycle: e.lifeCycle, lifeCycleName: lifeCycleName(kind, e.lifeCycle) };
  if (e.privilegesLen > 0) {
    item.privileges = hex(e.privileges, 0, e.privilegesLen);
    item.privilegeNames = privilegeNames(e.privileges.subarray(0, e.privilegesLen));
  }
  if (e.elfAidLen > 0) item.loadFile = hex(e.elfAid, 0, e.elfAidLen);
  if (e.version >= 0) item.version = `${(e.version >> 8) & 0xff}.${e.version & 0xff}`;
  if (kind === 'PKG') {
    item.modules = [];
    for (let i = 0; i < e.moduleCount; i++) item.modules.push(hex(e.modules, i * AID_MAX_LEN, e.moduleLens[i]));
  }
  if (e.sdAidLen > 0) item.securityDomain = hex(e.sdAid, 0, e.sdAidLen);
  return item;
}

/** GPCS 11.1.1 (card), 11.1.2 (applications, security domains), 11.1.3 (load files). */
export function lifeCycleName(kind: EntryKind, state: number): string {
  if (kind === 'ISD') {
    const card: Record<number, string> = { 0x01: 'OP_READY', 0x07: 'INITIALIZED', 0x0f: 'SECURED', 0x7f: 'CARD_LOCKED', 0xff: 'TERMINATED' };
    return card[state] ?? hexState(state);
  }
  if (kind === 'PKG') return state === 0x01 ? 'LOADED' : hexState(state);
  if ((state & 0x80) !== 0) return 'LOCKED';
  const app: Record<number, string> = { 0x03: 'INSTALLED', 0x07: 'SELECTABLE', 0x0f: 'PERSONALIZED' };
  return app[state] ?? ((state & 0x07) === 0x07 ? `APP_SPECIFIC(${hexState(state)})` : hexState(state));
}

function hexState(state: number): string {
  return state.toString(16).padStart(2, '0').toUpperCase();
}

/** Privilege bits by byte (GPCS Table 11-7). DAP and delegated management sit beside the SD bit. */
const PRIVILEGE_BITS: Array<[byte: number, mask: number, name: string]> = [
  [0, 0x80, 'SecurityDomain'],
  [0, 0x40, 'DAPVerification'],
  [0, 0x20, 'DelegatedManagement'],
  [0, 0x10, 'CardLock'],
  [0, 0x08, 'CardTerminate'],
  [0, 0x04, 'CardReset'],
  [0, 0x02, 'CVMManagement'],
  [0, 0x01, 'MandatedDAPVerification'],
  [1, 0x80, 'TrustedPath'],
  [1, 0x40, 'AuthorizedManagement'],
  [1, 0x20, 'TokenVerification'],
  [1, 0x10, 'GlobalDelete'],
  [1, 0x08, 'GlobalLock'],
  [1, 0x04, 'GlobalRegistry'],
  [1, 0x02, 'FinalApplication'],
  [1, 0x01, 'GlobalService'],
  [2, 0x80, 'ReceiptGeneration'],
  [2, 0x40, 'CipheredLoadFileDataBlock'],
  [2, 0x20, 'ContactlessActivation'],
  [2, 0x10, 'ContactlessSelfActivation'],
];

export function privilegeNames(privileges: Uint8Array): string[] {
  return PRIVILEGE_BITS.filter(([byte, mask]) => byte < privileges.length && (privileges[byte] & mask) !== 0).map(([, , name]) => name);
}
