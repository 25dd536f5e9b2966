/**
 * The PN532 side of the board, made and dropped as a whole: the driver with the SE's card
 * emulation (card-emulation.ts), or, with no SE, the chip check (chip-check.ts). main() makes it at
 * boot; the MCU's link stops it while the link works (mcu-link.ts) and main() makes it again after.
 * A download's or a permission's SCP03 session must not meet a tap: the reader's SELECT would take
 * the SE's one channel from the ISD and end the session. The firmware build defines this file's
 * code, with the driver's and the emulation's, only while the board holds one (tools/firmware/
 * build-firmware.ts LAZY_PARTS, cardSidePart), so a download holds none of it.
 */
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, type SecureElement } from '../../core/se/secure-element';
import { PN532_I2C_ADDRESS, PN532_RESET_PIN } from './board-config';
import { CardEmulation, DEFAULT_EMULATION_TIMING } from './card-emulation';
import { ChipCheck } from './chip-check';
import { type EspruinoI2C, pin } from './espruino-api';
import { DEFAULT_PN532_TIMING, Pn532 } from './pn532';
import { targetParamsFor } from './se-boot';

export interface CardSide {
  readonly pn532: Pn532;
  /** The SE's card on the PN532, when there is an SE. */
  readonly emulation: CardEmulation | null;
  /** Without an SE: the chip only checked. */
  readonly chip: ChipCheck | null;
}

/** Starts the PN532 on the bus (set up by the caller): as the SE's card, or only checked. */
export function startCardSide(bus: EspruinoI2C, se: SecureElement | null): CardSide {
  const pn532 = new Pn532(bus, PN532_I2C_ADDRESS, pin(PN532_RESET_PIN), DEFAULT_PN532_TIMING);
  if (se !== null) {
    const emulation = new CardEmulation(pn532, targetParamsFor(se), se, MAX_COMMAND_LEN, MAX_RESPONSE_LEN, DEFAULT_EMULATION_TIMING);
    emulation.start();
    return { pn532: pn532, emulation: emulation, chip: null };
  }
  const chip = new ChipCheck(pn532);
  chip.start();
  return { pn532: pn532, emulation: null, chip: chip };
}
