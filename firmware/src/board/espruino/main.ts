/**
 * Board start-up (runs from .bootcde at power-on and after load()):
 *
 *   1. provisioning bundle from Storage (provisioning.ts)
 *   2. Flash HAL on Storage (storage-flash.ts) and the SE on it (se-boot.ts): store mounted (a
 *      power cut during an earlier write is recovered here), personalised at first boot
 *   3. PN532 on I2C1 as an ISO 14443-4 card feeding the SE's contactless interface
 *      (card-emulation.ts); without an SE (not provisioned) only a chip check (chip-check.ts)
 *   4. the MCU on the platform link (mcu-link.ts around core/mcu/mcu.ts): Wi-Fi, MQTT, link
 *      counters, the relay, download and permission requests
 *   5. REPL commands: status(), cards(), balance(), download(app), permission()
 *
 * See docs/board.md "What runs on the board".
 */
import { toHex } from '../../core/hex';
import type { SecureElement } from '../../core/se/secure-element';
import { SLOT_COUNT } from '../../core/se/records';
import { FLASH_FILE_PREFIX, FLASH_PAGE_COUNT, I2C_BITRATE, I2C_SCL_PIN, I2C_SDA_PIN, PROVISIONING_FILE } from './board-config';
import { byteSum, consoleLine, exposeOnConsole, firmwareVersion, i2c1, memory, pin, storage } from './espruino-api';
import { loadProvisioning } from './provisioning';
import { StorageFlash } from './storage-flash';
import type { FirmwareVersion } from './pn532';
import type { EmulationCounters } from './card-emulation';
import { type CardSide, startCardSide } from './card-side';
import { bootSecureElement } from './se-boot';
import { storedDesTables } from './des-table-file';
import { balanceLines, cardLines } from './card-commands';
import { statusLines } from './status-report';
import { McuLink } from './mcu-link';

/** Replaced at build time by tools/firmware/build.ts (package version + git revision). */
declare const TAPCARD_BUILD: string;

function printLines(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) consoleLine(lines[i]);
}

function installedCards(se: SecureElement): number {
  let n = 0;
  for (let slot = 0; slot < SLOT_COUNT; slot++) if (se.cardManager.load(slot)) n++;
  return n;
}

export function main(): void {
  const st = storage();
  const provisioning = loadProvisioning(st, PROVISIONING_FILE);
  const flash = new StorageFlash(st, FLASH_FILE_PREFIX, FLASH_PAGE_COUNT, byteSum);

  let se: SecureElement | null = null;
  let seProblem = '';
  if (provisioning.bundle === null) {
    seProblem = 'not started: ' + provisioning.problem;
  } else {
    try {
      se = bootSecureElement(flash, provisioning.bundle.se, storedDesTables(st));
    } catch (err) {
      // A corrupt store (STORE_CORRUPT) is refused unchanged: say so at once, status() repeats it.
      seProblem = 'boot failed: ' + String(err);
      consoleLine('se: ' + seProblem);
    }
  }

  const bus = i2c1();
  bus.setup({ scl: pin(I2C_SCL_PIN), sda: pin(I2C_SDA_PIN), bitrate: I2C_BITRATE });
  // The PN532 side (card-side.ts), null while the link works; what status() shows of it meanwhile.
  let card: CardSide | null = startCardSide(bus, se);
  let firmware: FirmwareVersion | null = null;
  const rf: EmulationCounters = { apdus: 0, activations: 0, resets: 0, cardErrors: 0 };
  const cardHost = {
    /** The link has work: the card stops and goes, with its code (collected by the caller). */
    pause: (): void => {
      if (card === null || card.emulation === null) return;
      const e = card.emulation;
      e.stop();
      rf.apdus += e.counters.apdus;
      rf.activations += e.counters.activations;
      rf.resets += e.counters.resets;
      rf.cardErrors += e.counters.cardErrors;
      firmware = card.pn532.firmware;
      card = null;
    },
    resume: (): void => {
      if (card === null) card = startCardSide(bus, se);
    },
  };

  let mcu: McuLink | null = null;
  const deviceId = provisioning.bundle === null ? null : provisioning.bundle.deviceId;
  if (se !== null && provisioning.bundle !== null) {
    mcu = new McuLink(provisioning.bundle, se, st, consoleLine, cardHost);
    mcu.start();
  }
  // Booted: the SE's store holds the ISD keys, the link's engines its keys, the broker session its
  // settings; status() needs the device id only, so the bundle (ISD and link keys) is not kept.
  provisioning.bundle = null;

  exposeOnConsole('status', () => {
    const mem = memory();
    const c = card;
    const e = c === null ? null : c.emulation;
    printLines(
      statusLines({
        build: TAPCARD_BUILD,
        espruino: firmwareVersion(),
        deviceId: deviceId,
        provisioningProblem: provisioning.problem,
        pn532Firmware: c === null ? firmware : c.pn532.firmware,
        pn532State: c === null ? 'stopped while the link works' : e !== null ? e.state : c.chip !== null ? c.chip.state : 'off',
        pn532LastError: c === null ? '' : e !== null && e.lastError !== '' ? e.lastError : c.pn532.link.lastBusError,
        emulation:
          se === null
            ? null
            : {
                apdus: rf.apdus + (e === null ? 0 : e.counters.apdus),
                activations: rf.activations + (e === null ? 0 : e.counters.activations),
                resets: rf.resets + (e === null ? 0 : e.counters.resets),
                cardErrors: rf.cardErrors + (e === null ? 0 : e.counters.cardErrors),
              },
        secureElement: se !== null ? 'serial ' + toHex(se.serial) + ', ' + installedCards(se) + ' of ' + SLOT_COUNT + ' card slots used' : seProblem,
        store: 'on Storage, ' + flash.pageCount + ' pages of ' + flash.pageSize + ' B',
        link: mcu !== null ? mcu.statusText() : 'off (no SE)',
        memoryFree: mem.free,
        memoryTotal: mem.total,
      }),
    );
  });
  if (se !== null) {
    const booted = se;
    exposeOnConsole('cards', () => printLines(cardLines(booted)));
    exposeOnConsole('balance', () => printLines(balanceLines(booted)));
  }
  if (mcu !== null) {
    const link = mcu;
    exposeOnConsole('download', (app: string) => link.requestDownload(app));
    exposeOnConsole('permission', () => link.requestPermission());
  }
}
