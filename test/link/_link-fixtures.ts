/** Shared fixtures for the link tests: test key sets and an in-memory counter store. */
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import { CNTR_LEN, CounterStore } from '../../firmware/src/core/link/counter';
import { LinkKeyset } from '../../firmware/src/core/link/keyset';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { TEST_KEY_INDEX, TEST_KIC, TEST_KID } from '../../firmware/src/core/link/secured-packet.vectors';

export function keysetFromHex(kic: string = TEST_KIC, kid: string = TEST_KID, keyIndex: number = TEST_KEY_INDEX): LinkKeyset {
  const c = new SoftAes();
  c.setKey(fromHex(kic), 0, 16);
  const m = new SoftAes();
  m.setKey(fromHex(kid), 0, 16);
  return new LinkKeyset(c, m, keyIndex);
}

/** Counter store in memory that counts writes, so tests can prove "no state change". */
export class MemoryCounterStore implements CounterStore {
  value: Uint8Array = new Uint8Array(CNTR_LEN);
  writes = 0;

  constructor(initialHex = '0000000000') {
    this.value = fromHex(initialHex);
  }

  read(out: Uint8Array, off: number): void {
    out.set(this.value, off);
  }

  write(cntr: Uint8Array, off: number): void {
    this.value = cntr.slice(off, off + CNTR_LEN);
    this.writes++;
  }

  hex(): string {
    return toHex(this.value);
  }
}
