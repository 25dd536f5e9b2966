/**
 * Random port (core/ports/random.ts) on the ESP32's hardware RNG through Espruino's E.hwRand(), which
 * returns 32 random bits per call; each call gives four bytes. (The ESP32 RNG is a true RNG while
 * the radio runs; with Wi-Fi off it is pseudo-random: ESP-IDF esp_random(). The board keeps
 * Wi-Fi on.)
 */
import { shr } from '../../core/bits';
import type { Random } from '../../core/ports/random';
import { hardwareRandom } from './espruino-api';

export const espruinoRandom: Random = {
  fill(out: Uint8Array, off: number, len: number): void {
    let word = 0;
    for (let i = 0; i < len; i++) {
      if ((i & 3) === 0) word = hardwareRandom();
      out[off + i] = shr(word, 8 * (i & 3)) & 0xff;
    }
  },
};
