/**
 * A trivial CardDevice for transport tests (the real SE replaces it later): SELECT by name -> 9000,
 * an echo instruction for size tests, anything else -> 6D00. Records what it saw.
 */
import { toHex } from '../../firmware/src/core/hex';
import type { CardDevice } from '../../host/vpcd/card-device';

/** docs/vpcd-pcscd.md "vpcd protocol": ISO 14443-4 card without historical bytes, T=1, TCK correct. */
export const TEST_ATR = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);
/** Proprietary class, made-up instruction: answers the command's data field, then 9000. */
export const CLA_TEST = 0x80;
export const INS_ECHO = 0xee;

export class TestCard implements CardDevice {
  readonly log: string[] = [];

  powerOn(): Uint8Array {
    this.log.push('power-on');
    return TEST_ATR;
  }

  powerOff(): void {
    this.log.push('power-off');
  }

  reset(): Uint8Array {
    this.log.push('reset');
    return TEST_ATR;
  }

  atr(): Uint8Array {
    return TEST_ATR;
  }

  transmit(apdu: Uint8Array): Uint8Array {
    this.log.push(`apdu ${toHex(apdu)}`);
    if (apdu[1] === 0xa4 && apdu[2] === 0x04) return Uint8Array.of(0x90, 0x00);
    if (apdu[0] === CLA_TEST && apdu[1] === INS_ECHO) {
      const data = commandData(apdu);
      const response = new Uint8Array(data.length + 2);
      response.set(data);
      response.set([0x90, 0x00], data.length);
      return response;
    }
    return Uint8Array.of(0x6d, 0x00);
  }
}

/** Data field of a case 3/4 command, short or extended Lc (ISO 7816-4 §5.1); empty otherwise. */
function commandData(apdu: Uint8Array): Uint8Array {
  if (apdu.length <= 5) return new Uint8Array(0);
  if (apdu[4] !== 0) return apdu.subarray(5, 5 + apdu[4]);
  const lc = (apdu[5] << 8) | apdu[6];
  return apdu.subarray(7, 7 + lc);
}
