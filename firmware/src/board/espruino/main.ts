/**
 * Board start-up (runs from .bootcde at power-on and after load()):
 *
 *   1. provisioning bundle from Storage (provisioning.ts)
 *   2. Flash HAL on Storage (storage-flash.ts) for the store
 *   3. PN532 on I2C1: card emulation feeding the SE's contactless entry point, or, while there is
 *      no SE in the build, a chip check only (chip-check.ts)
 *   4. REPL commands (status() ...)
 *
 * Parts that are not in this build yet are reported by status() as such; see docs/board.md
 * "What runs on the board".
 */
import {
  FLASH_FILE_PREFIX, FLASH_PAGE_COUNT, I2C_BITRATE, I2C_SCL_PIN, I2C_SDA_PIN, PN532_I2C_ADDRESS, PN532_RESET_PIN,
  PROVISIONING_FILE,
} from './board-config';
import { consoleLine, exposeOnConsole, firmwareVersion, i2c1, memory, pin, storage } from './espruino-api';
import { loadProvisioning } from './provisioning';
import { StorageFlash } from './storage-flash';
import { DEFAULT_PN532_TIMING, Pn532 } from './pn532';
import { ChipCheck } from './chip-check';
import { statusLines } from './status-report';

/** Replaced at build time by tools/firmware/build.ts (package version + git revision). */
declare const TAPCARD_BUILD: string;

export function main(): void {
  const st = storage();
  const provisioning = loadProvisioning(st, PROVISIONING_FILE);
  const flash = new StorageFlash(st, FLASH_FILE_PREFIX, FLASH_PAGE_COUNT);

  const bus = i2c1();
  bus.setup({ scl: pin(I2C_SCL_PIN), sda: pin(I2C_SDA_PIN), bitrate: I2C_BITRATE });
  const pn532 = new Pn532(bus, PN532_I2C_ADDRESS, pin(PN532_RESET_PIN), DEFAULT_PN532_TIMING);
  // TODO(SE core): boot the SecureElement on `flash` and run CardEmulation with its contactless
  // entry point; until it exists there is nothing to emulate, so only the chip is checked.
  const chip = new ChipCheck(pn532);
  chip.start();

  exposeOnConsole('status', () => {
    const mem = memory();
    const lines = statusLines({
      build: TAPCARD_BUILD,
      espruino: firmwareVersion(),
      deviceId: provisioning.bundle === null ? null : provisioning.bundle.deviceId,
      provisioningProblem: provisioning.problem,
      pn532Firmware: pn532.firmware,
      pn532State: chip.state,
      pn532LastError: pn532.link.lastBusError,
      emulation: null,
      secureElement: 'not in this build (no SecureElement in firmware/src/core/se yet)',
      store: 'not in this build; flash HAL ready on Storage, ' + flash.pageCount + ' pages of ' + flash.pageSize + ' B',
      link: 'not in this build (no MCU/link wiring yet)',
      memoryFree: mem.free,
      memoryTotal: mem.total,
    });
    for (let i = 0; i < lines.length; i++) consoleLine(lines[i]);
  });
}
