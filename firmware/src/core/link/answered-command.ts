/**
 * The last few commands a receiver accepted, so that a copy of one is recognised instead of refused
 * as a replay. MQTT QoS 1 may deliver a PUBLISH twice (MQTT 5.0 §4.3.2) and anyone on the path can
 * repeat one; the counter rule of ETSI TS 102 225 §5.1.1 refuses the copy (CNTR low), and its
 * secured PoR, which echoes the same TAR and counter, would reach the sender before or instead of
 * the real answer.
 *
 * A copy is a packet the opener authenticated with the same TAR, counter and CC as one accepted:
 * the CC is a MAC over the whole packet under KID, so nobody without the keys can make a different
 * packet that passes as a copy. A copy of the last command is answered with the PoR the first got
 * (the caller keeps that answer; sealing is deterministic, so it is the same PoR byte for byte); a
 * copy of an earlier one is dropped, since its sender has moved on. Either way no application sees
 * it and no counter moves. A packet under an old counter that is none of these is still refused.
 */
import { copy, equalBytes } from '../bytes';
import { CC_LEN } from './_checksum';
import type { CommandOpener } from './command-packet';
import { CNTR_LEN } from './counter';
import { POR } from './por-status';

/** copyOf() results. */
export const NOT_A_COPY = 0;
export const COPY_OF_LAST = 1;
export const COPY_OF_EARLIER = 2;

/** Commands remembered (the last one and the ones before it). */
const REMEMBERED = 4;

export class AnsweredCommands {
  /** TAR and counter of the last command accepted (tar -1 before the first): what its PoR echoes. */
  tar = -1;
  readonly cntr = new Uint8Array(CNTR_LEN);
  private readonly tars: number[] = [];
  private readonly cntrs = new Uint8Array(REMEMBERED * CNTR_LEN);
  private readonly ccs = new Uint8Array(REMEMBERED * CC_LEN);
  /** Where the last command sits. */
  private last = 0;

  constructor() {
    for (let i = 0; i < REMEMBERED; i++) this.tars.push(-1);
  }

  /** Remembers the command the opener just accepted (open() returned POR.OK). */
  accept(o: CommandOpener): void {
    const i = (this.last + 1) % REMEMBERED;
    this.last = i;
    this.tars[i] = o.tar;
    copy(o.cntr, 0, this.cntrs, i * CNTR_LEN, CNTR_LEN);
    copy(o.cc, 0, this.ccs, i * CC_LEN, CC_LEN);
    this.tar = o.tar;
    copy(o.cntr, 0, this.cntr, 0, CNTR_LEN);
  }

  /** Whether the packet the opener refused with status is a copy of the last command accepted or of an earlier one. */
  copyOf(o: CommandOpener, status: number): number {
    if (status !== POR.CNTR_LOW || !o.authenticated) return NOT_A_COPY;
    for (let k = 0; k < REMEMBERED; k++) {
      const i = (this.last + REMEMBERED - k) % REMEMBERED;
      if (
        this.tars[i] === o.tar &&
        equalBytes(o.cntr, 0, this.cntrs, i * CNTR_LEN, CNTR_LEN) &&
        equalBytes(o.cc, 0, this.ccs, i * CC_LEN, CC_LEN)
      ) {
        return k === 0 ? COPY_OF_LAST : COPY_OF_EARLIER;
      }
    }
    return NOT_A_COPY;
  }
}
