/**
 * The SE chip: its store, its secure channel module and ISD, its smart card slots and card
 * managers, and the contactless interface a reader talks to. Everything is allocated when the SE
 * is built (boot); transceive() allocates nothing.
 *
 * Contactless routing (like a phone's AID routing table): SELECT by AID reaches the ISD or the
 * slot whose application has that AID; other commands go to whatever is selected. After a reset
 * the ISD is selected implicitly (GPCS 11.9: it holds the Card Reset privilege), unless an
 * application holds that privilege: then that default card answers the first command that is not
 * a SELECT. SELECT of 2PAY.SYS.DDF01 lists the payment applications (payment-directory.ts).
 */
import { CommandApdu, parseCommand } from '../apdu';
import { shr } from '../bits';
import { copy, equalBytes } from '../bytes';
import type { CipherFactory } from '../crypto/block-cipher';
import type { Flash } from '../ports/flash';
import type { Random } from '../ports/random';
import { type Crc32, Store } from '../store/store';
import { crc32 } from '../store/crc32';
import { SW } from '../sw';
import { TlvWriter } from '../tlv';
import { ISD_AID } from './aid';
import { PaymentDirectory } from './payment-directory';
import { ApduResponse, AppletContext, type AppletClass, type SeServices } from './applet';
import { ATR_MAX_LEN, buildContactlessAtr } from './atr';
import { CardManager } from './card-manager';
import { CardSlot } from './card-slot';
import { Isd } from './isd';
import { APP_AID, APP_AID_LEN, APP_CLASS, APP_LIFE_CYCLE, APP_PRIVILEGES, LC_APP_SELECTABLE, REC_SE_STATE, SE_STORE_KEYS, SE_STORE_MAX_VALUE, SLOT_COUNT, STATE_LIFE_CYCLE, STATE_RECORD_LEN } from './records';
import { Registry } from './registry';
import { KDD_LEN } from './scp03-card';
import { SecureChannelModule } from './secure-channel-module';

export const INS_SELECT = 0xa4;
export const P1_SELECT_BY_NAME = 0x04;
export const P2_NEXT_OCCURRENCE = 0x02;
/** Largest command the contactless interface accepts (extended length LOAD blocks included). */
export const MAX_COMMAND_LEN = 4 + 3 + 1024 + 2;
/** Response data room: 256 bytes plus R-ENC padding and R-MAC. */
export const MAX_RESPONSE_DATA = 256 + 16 + 8;
export const MAX_RESPONSE_LEN = MAX_RESPONSE_DATA + 2;
/** Historical bytes of the SE's own ATR: "TAPCARD-SE". */
const SE_HIST = new Uint8Array([0x54, 0x41, 0x50, 0x43, 0x41, 0x52, 0x44, 0x2d, 0x53, 0x45]);
const SELECTED_ISD = -1;
const SELECTED_PPSE = -2;
/** GPCS 11.1.2 privilege byte 1: Card Reset, the application is implicitly selected after reset. */
const PRIVILEGE_CARD_RESET = 0x04;

export interface SecureElementConfig {
  flash: Flash;
  /** The store's record check; the portable CRC-32 when omitted (a board passes its native one). */
  crc32?: Crc32;
  random: Random;
  aes: CipherFactory;
  des: CipherFactory;
  tripleDes: CipherFactory;
  /** SE serial number, used as SCP03 key diversification data (10 bytes). */
  serial: Uint8Array;
  /** Application classes built into this SE. */
  appletClasses: AppletClass[];
  /** The ISD key set written at first boot (KVN 30..3F, AES keys); the SE drops it once booted. */
  initialKeys: { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array };
}

export class SecureElement {
  readonly store: Store;
  /** The store's record check (config.crc32, or the portable one); the MCU's relay checks repeats with it. */
  readonly crc32: Crc32;
  readonly slots: CardSlot[] = [];
  readonly cardManager: CardManager;
  readonly registry: Registry;
  readonly isd: Isd;
  readonly atr = new Uint8Array(ATR_MAX_LEN);
  readonly atrLen: number;
  /** SE serial number (SCP03 key diversification data). */
  readonly serial: Uint8Array;
  private readonly classes: AppletClass[];
  /** The first ISD key set until boot() has found or made the store's: no copy is kept after. */
  private initialKeys: SecureElementConfig['initialKeys'] | null;
  private readonly scm: SecureChannelModule;
  private readonly services: SeServices;
  private readonly cmd = new CommandApdu();
  private readonly rsp: ApduResponse;
  private readonly state = new Uint8Array(STATE_RECORD_LEN);
  /** SELECTED_ISD, SELECTED_PPSE, or the slot index of the selected application. */
  private selected = SELECTED_ISD;
  /** No SELECT has succeeded since reset: the default card, if any, takes the next command. */
  private implicit = true;
  private readonly directory: PaymentDirectory;

  constructor(config: SecureElementConfig) {
    if (config.serial.length !== KDD_LEN) throw new Error(`SE serial must be ${KDD_LEN} bytes, got ${config.serial.length}`);
    this.classes = config.appletClasses;
    this.initialKeys = config.initialKeys;
    this.serial = config.serial;
    // Handlers write the response data straight into the caller's buffer (transceive()).
    this.rsp = new ApduResponse(new Uint8Array(0));
    this.crc32 = config.crc32 === undefined ? crc32 : config.crc32;
    this.store = new Store(config.flash, SE_STORE_KEYS, SE_STORE_MAX_VALUE, this.crc32);
    this.cardManager = new CardManager(this.store);
    this.registry = new Registry(this.store);
    for (let i = 0; i < SLOT_COUNT; i++) this.slots.push(new CardSlot(i));
    const services: SeServices = {
      store: this.store,
      cardManager: this.cardManager,
      random: config.random,
      aes: config.aes,
      des: config.des,
      tripleDes: config.tripleDes,
      writer: new TlvWriter(),
    };
    this.services = services;
    const content = { store: this.store, registry: this.registry, services: services, classes: config.appletClasses, slots: this.slots };
    this.scm = new SecureChannelModule(this.store, config.aes, config.serial, content);
    this.isd = new Isd(this.scm, services.writer);
    this.directory = new PaymentDirectory(this.registry, config.appletClasses, services.writer);
    this.atrLen = buildContactlessAtr(SE_HIST, 0, SE_HIST.length, this.atr);
  }

  /** Mounts the store (recovering from any power cut), personalises a fresh SE, attaches installed cards. */
  boot(): void {
    this.store.mount();
    this.cardManager.forget(); // the flash may hold another state than the one last committed here
    const k = this.initialKeys;
    if (this.store.length(REC_SE_STATE, 0) < 0) {
      if (k === null) throw new Error('SE personalisation failed: the initial keys went with an earlier boot');
      this.store.begin();
      if (!this.scm.personalize(k.kvn, k.enc.length, k.enc, k.mac, k.dek) || !this.store.commit()) {
        this.store.abort();
        throw new Error('SE personalisation failed: store full or flash error');
      }
    }
    // the store holds the ISD keys from here on (on a board the bundle's copy can then go too)
    this.initialKeys = null;
    this.store.get(REC_SE_STATE, 0, this.state, 0);
    this.isd.cardLifeCycle = this.state[STATE_LIFE_CYCLE];
    this.registry.reload();
    this.attachInstalled();
    this.reset();
  }

  /** Attaches every installed instance to its slot (boot); its runtime object is made at its first SELECT. */
  private attachInstalled(): void {
    const r = this.registry;
    const classes = this.classes;
    for (let s = 0; s < SLOT_COUNT; s++) {
      this.slots[s].detach();
      if (!r.appUsed[s]) continue;
      const a = r.appAt(s);
      for (let i = 0; i < classes.length; i++) {
        if (classes[i].classId !== r.apps[a + APP_CLASS]) continue;
        const len = r.apps[a + APP_AID_LEN];
        const aid = new Uint8Array(len);
        copy(r.apps, a + APP_AID, aid, 0, len);
        this.slots[s].attach(classes[i], new AppletContext(s, this.services, aid, len));
        break;
      }
    }
  }

  /** Field on / reset: every card is deselected, any session and partial load end. Returns the ATR length. */
  reset(): number {
    this.isd.deselect();
    for (let i = 0; i < SLOT_COUNT; i++) this.slots[i].reset();
    this.selected = SELECTED_ISD;
    this.implicit = true;
    return this.atrLen;
  }

  powerOff(): void {
    this.reset();
  }

  /** The host is done with the ISD's session (its job's last command): keys wiped, its objects dropped; the selection stays. */
  endSession(): void {
    this.isd.deselect();
  }

  /**
   * One command APDU in, one response APDU (data || SW1 SW2) out; returns the response length.
   * `out` must hold MAX_RESPONSE_LEN bytes and be another buffer than `command`: the handlers
   * write the response data into it while they read the command.
   */
  transceive(command: Uint8Array, len: number, out: Uint8Array): number {
    if (out.length < MAX_RESPONSE_LEN) throw new Error(`transceive: response buffer must hold ${MAX_RESPONSE_LEN} bytes`);
    const rsp = this.rsp;
    rsp.buf = out;
    rsp.len = 0;
    let sw = parseCommand(command, len, this.cmd);
    if (sw === 0) sw = this.dispatch(this.cmd, rsp);
    if (sw !== SW.OK && sw !== SW.WARN_MORE_DATA && (sw & 0xff00) !== 0x6100 && !this.keepsData(sw)) rsp.len = 0;
    out[rsp.len] = shr(sw, 8) & 0xff;
    out[rsp.len + 1] = sw & 0xff;
    return rsp.len + 2;
  }

  private dispatch(cmd: CommandApdu, rsp: ApduResponse): number {
    if ((cmd.cla & 0x03) !== 0) return SW.ERR_LOGICAL_CHANNEL_NOT_SUPPORTED;
    if (cmd.ins === INS_SELECT && cmd.cla === 0x00 && cmd.p1 === P1_SELECT_BY_NAME) return this.selectByName(cmd, rsp);
    if (this.implicit) this.selectDefaultCard(cmd, rsp);
    if (this.selected === SELECTED_PPSE) return SW.ERR_INS_NOT_SUPPORTED;
    if (this.selected === SELECTED_ISD) return this.isd.process(cmd, rsp);
    return this.slots[this.selected].exchange(cmd, rsp);
  }

  /** SELECT by DF name (ISO 7816-4 §11.2.2; GPCS 11.9). */
  private selectByName(cmd: CommandApdu, rsp: ApduResponse): number {
    const b = cmd.buf;
    if (cmd.lc === 0 || (cmd.lc === ISD_AID.length && equalBytes(ISD_AID, 0, b, cmd.dataOff, cmd.lc))) {
      this.deselectCurrent();
      this.selected = SELECTED_ISD;
      this.implicit = false;
      return this.isd.select(rsp);
    }
    const r = this.registry;
    let slot = r.findApp(b, cmd.dataOff, cmd.lc);
    if (slot < 0 && this.directory.isPpse(b, cmd.dataOff, cmd.lc)) {
      this.deselectCurrent();
      this.selected = SELECTED_PPSE;
      this.implicit = false;
      return this.directory.answer(rsp, this.defaultCard());
    }
    if (slot < 0) {
      const after = (cmd.p2 & 0x03) === P2_NEXT_OCCURRENCE && this.selected >= 0 ? this.selected : -1;
      slot = r.findAppByPrefix(b, cmd.dataOff, cmd.lc, after);
    }
    if (slot < 0 || r.apps[r.appAt(slot) + APP_LIFE_CYCLE] !== LC_APP_SELECTABLE || !this.slots[slot].occupied()) {
      return SW.ERR_FILE_NOT_FOUND;
    }
    this.deselectCurrent();
    this.selected = slot;
    this.implicit = false;
    return this.slots[slot].select(cmd, rsp);
  }

  /** The selectable application with the Card Reset privilege, or -1 (the ISD stays the default). */
  private defaultCard(): number {
    const r = this.registry;
    for (let s = 0; s < SLOT_COUNT; s++) {
      const a = r.appAt(s);
      if (r.appUsed[s] && r.apps[a + APP_LIFE_CYCLE] === LC_APP_SELECTABLE && (r.apps[a + APP_PRIVILEGES] & PRIVILEGE_CARD_RESET) !== 0 && this.slots[s].occupied()) return s;
    }
    return -1;
  }

  /** First command after reset without a SELECT: the default card is selected for it (its FCI is dropped). */
  private selectDefaultCard(cmd: CommandApdu, rsp: ApduResponse): void {
    this.implicit = false;
    const slot = this.defaultCard();
    if (slot < 0) return;
    this.deselectCurrent();
    this.selected = slot;
    this.slots[slot].select(cmd, rsp);
    rsp.len = 0;
    if (!this.slots[slot].selected) this.selected = SELECTED_ISD;
  }

  private deselectCurrent(): void {
    if (this.selected === SELECTED_ISD) this.isd.deselect();
    else if (this.selected >= 0) this.slots[this.selected].deselect();
  }

  /** Warnings that carry data (62xx/63xx from applets, e.g. a PIN try counter). */
  private keepsData(sw: number): boolean {
    const sw1 = shr(sw, 8) & 0xff;
    return sw1 === 0x62 || sw1 === 0x63;
  }
}
