/**
 * What the platform sends the MCU's relay (TAR_MCU_RELAY) during a download, and what the relay
 * answers in the PoR data (docs/flows.md §2):
 *
 *   command   off 0 op(1) | 1 job(4, 31-bit) | 5 seq(2) | 7 total(2) | 9 body
 *     OP_APDU       body = one command APDU for the SE, protected by the platform's SCP03 session
 *                   (C-MAC + C-DECRYPTION): the MCU passes it on and cannot read it
 *     OP_COMPLETE   body = instance AID of the installed application; the MCU answers with the
 *                   card-manager record of the card that holds it
 *     OP_APDU_SEQUENCE  body = { length(2) | protected C-APDU } x 1..255, seq numbering the first:
 *                   the SE runs them in order and stops after the first whose status is not 9000,
 *                   as a remote command script in the compact format of ETSI TS 102 226 §5.1
 *   answer    off 0 result(1) | 1 body
 *     RESULT_OK         OP_APDU: the SE's response APDU (protected by R-MAC + R-ENC);
 *                       OP_APDU_SEQUENCE: executed(1) | the last executed command's response APDU
 *                       (TS 102 226 §5.1's compact response: the count and the last answer; under
 *                       SCP03 its R-MAC proves the SE accepted every command before it, each C-MAC
 *                       being chained on the one before, GP Amendment D §6.2.4);
 *                       OP_COMPLETE: slot(1) | card-manager record (se/card-manager.ts)
 *     RESULT_MALFORMED  the command did not parse; body empty
 *     RESULT_NOT_FOUND  OP_COMPLETE: no card holds that application
 *     RESULT_SUPERSEDED, RESULT_GAP, RESULT_STOPPED   OP_APDU_SEQUENCE of the job being relayed,
 *                       not passed to the SE (the platform keeps a few sequences in flight, each
 *                       in its own secured packet, download.ts): SUPERSEDED its seq is at or
 *                       before the last command the SE was given (and it is no repeat of the last
 *                       relay command); GAP its seq is past the one after it (a packet before it
 *                       has not come); STOPPED the sequence before it stopped at a status other
 *                       than 9000. So the SE runs a job's sequences once each, in seq order, and
 *                       only after every command before them answered 9000: an answered sequence
 *                       vouches for every sequence before it. Body empty.
 *
 * seq numbers the job's commands from 0; total is the job's command count as the platform sees
 * it now (it shows progress; it may grow once the platform has chosen the target card).
 */
import { copy, readU16, readU31, writeU16, writeU31 } from '../bytes';

export const OP_APDU = 0x01;
export const OP_COMPLETE = 0x02;
export const OP_APDU_SEQUENCE = 0x03;
/** Octets of the length before each C-APDU of a sequence (big-endian). */
export const SEQUENCE_LENGTH_LEN = 2;
/** Commands in one sequence at most: the answer counts them in one octet. */
export const SEQUENCE_MAX_COMMANDS = 255;

export const RESULT_OK = 0x00;
export const RESULT_MALFORMED = 0x01;
export const RESULT_NOT_FOUND = 0x02;
export const RESULT_SUPERSEDED = 0x03;
export const RESULT_GAP = 0x04;
export const RESULT_STOPPED = 0x05;

export const RELAY_AT_OP = 0;
export const RELAY_AT_JOB = 1;
export const RELAY_AT_SEQ = 5;
export const RELAY_AT_TOTAL = 7;
export const RELAY_AT_BODY = 9;
export const RELAY_HEADER_LEN = 9;

/** A parsed relay command; its body is msg[bodyOff, bodyOff + bodyLen). */
export class RelayCommand {
  op = 0;
  job = 0;
  seq = 0;
  total = 0;
  bodyOff = 0;
  bodyLen = 0;
}

/** Parses msg[off, off + len) into out; false when it is shorter than the header or names no known op. */
export function parseRelayCommand(msg: Uint8Array, off: number, len: number, out: RelayCommand): boolean {
  if (len < RELAY_HEADER_LEN || off + len > msg.length) return false;
  const op = msg[off + RELAY_AT_OP];
  if (op !== OP_APDU && op !== OP_COMPLETE && op !== OP_APDU_SEQUENCE) return false;
  if ((msg[off + RELAY_AT_JOB] & 0x80) !== 0) return false;
  out.op = op;
  out.job = readU31(msg, off + RELAY_AT_JOB);
  out.seq = readU16(msg, off + RELAY_AT_SEQ);
  out.total = readU16(msg, off + RELAY_AT_TOTAL);
  out.bodyOff = off + RELAY_HEADER_LEN;
  out.bodyLen = len - RELAY_HEADER_LEN;
  return true;
}

/** Writes the header into out[0..9); the caller puts the body at RELAY_AT_BODY. */
export function writeRelayHeader(op: number, job: number, seq: number, total: number, out: Uint8Array): void {
  out[RELAY_AT_OP] = op;
  writeU31(out, RELAY_AT_JOB, job);
  writeU16(out, RELAY_AT_SEQ, seq);
  writeU16(out, RELAY_AT_TOTAL, total);
}

/**
 * Commands in the sequence body msg[off, off + len), each between minLen and maxLen octets, or -1
 * when a length runs past the body, is out of bounds, or there are none or over
 * SEQUENCE_MAX_COMMANDS: the whole body is checked before the SE runs any of it.
 */
export function sequenceCount(msg: Uint8Array, off: number, len: number, minLen: number, maxLen: number): number {
  const end = off + len;
  let p = off;
  let n = 0;
  while (p < end && n <= SEQUENCE_MAX_COMMANDS) {
    if (p + SEQUENCE_LENGTH_LEN > end) return -1;
    const c = readU16(msg, p);
    p = p + SEQUENCE_LENGTH_LEN + c;
    if (c < minLen || c > maxLen || p > end) return -1;
    n = n + 1;
  }
  return n === 0 || n > SEQUENCE_MAX_COMMANDS ? -1 : n;
}

/** Writes one command of a sequence, apdu[0, len), at out[off..]; returns the offset after it. */
export function writeSequenceCommand(apdu: Uint8Array, len: number, out: Uint8Array, off: number): number {
  writeU16(out, off, len);
  copy(apdu, 0, out, off + SEQUENCE_LENGTH_LEN, len);
  return off + SEQUENCE_LENGTH_LEN + len;
}
