/**
 * The contract between the SE and card application classes (firmware/src/core/applets).
 * An application class is built into the SE (like a Java Card ROM class); a downloaded package
 * names the class and carries the instance's personalisation, which install() copies into the
 * applet's own records. One instance lives in one smart card slot.
 */
import type { CommandApdu } from '../apdu';
import type { CipherFactory } from '../crypto/block-cipher';
import type { Random } from '../ports/random';
import type { Store } from '../store/store';
import type { TlvWriter } from '../tlv';
import type { CardManager } from './card-manager';
import type { ElfReader } from './elf-reader';
import { REC_APP_DATA_BASE } from './records';

/**
 * Response under construction: data goes to buf[0..len); the SW is the handler's return value.
 * The SE points buf at the caller's response buffer for each APDU.
 */
export class ApduResponse {
  buf: Uint8Array;
  len = 0;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
}

/** What the SE lends an applet. */
export interface SeServices {
  readonly store: Store;
  readonly cardManager: CardManager;
  readonly random: Random;
  readonly aes: CipherFactory;
  readonly des: CipherFactory;
  /** Triple DES EDE for 16-byte keys (the purse's DPK/DLK): a board may make two-key-only engines. */
  readonly tripleDes: CipherFactory;
  /**
   * The SE's one TLV writer, shared by the ISD, the PPSE directory, GET STATUS and every applet:
   * each resets it and finishes its response within one APDU (on a board each writer is ~30 JsVars).
   */
  readonly writer: TlvWriter;
}

export class AppletContext {
  readonly slot: number;
  /** Store record type holding this instance's records (REC_APP_DATA_BASE + slot). */
  readonly dataType: number;
  readonly services: SeServices;
  /** Instance AID as installed. */
  readonly aid: Uint8Array;
  readonly aidLen: number;

  constructor(slot: number, services: SeServices, aid: Uint8Array, aidLen: number) {
    this.slot = slot;
    this.dataType = REC_APP_DATA_BASE + slot;
    this.services = services;
    this.aid = aid;
    this.aidLen = aidLen;
  }
}

export interface Applet {
  /** SELECT reached this instance: write the FCI to rsp, return the SW. */
  select(cmd: CommandApdu, rsp: ApduResponse): number;
  /** Any other command while selected. */
  process(cmd: CommandApdu, rsp: ApduResponse): number;
  /** Another application was selected, or the card was reset / left the field. */
  deselect(): void;
}

export interface AppletClass {
  /** Application class byte of the package header (package-header.ts). */
  readonly classId: number;
  readonly name: string;
  /**
   * Personalises a new instance inside the SE's open INSTALL transaction: reads the package
   * through elf, writes the applet's records (ctx.dataType) and its card-manager service record.
   * Returns 9000, or the SW to answer (6A80 malformed package...); the SE aborts on failure.
   */
  install(ctx: AppletContext, elf: ElfReader, params: Uint8Array, paramsOff: number, paramsLen: number): number;
  /** Builds the runtime object of an installed instance (at boot and after INSTALL). */
  create(ctx: AppletContext): Applet;
}
