/**
 * The MCU relay's command sequences (core/mcu/download.ts, OP_APDU_SEQUENCE): several command
 * APDUs in one relay command, run in order on a real SE until the first status other than 9000,
 * answered with the count and the last response (the compact remote command script of ETSI
 * TS 102 226 §5.1). A repeat is answered from memory; a malformed sequence reaches no SE.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { DownloadRelay, RELAY_ANSWER_MAX } from '../../firmware/src/core/mcu/download';
import {
  OP_APDU_SEQUENCE, RELAY_HEADER_LEN, RESULT_GAP, RESULT_MALFORMED, RESULT_OK, RESULT_STOPPED, RESULT_SUPERSEDED, writeRelayHeader,
  writeSequenceCommand,
} from '../../firmware/src/core/mcu/relay-message';
import { MAX_COMMAND_LEN } from '../../firmware/src/core/se/secure-element';
import { TestSe } from '../applets/_harness';

/** SELECT the ISD by its AID (GPCS 11.9): 9000 outside any session. */
const SELECT_ISD = fromHex('00A4040008A00000015100000000');
/** An instruction the ISD does not know: 6D00 (ISO/IEC 7816-4 table 6). */
const UNKNOWN_INS = fromHex('80FF0000');
const JOB = 0x2345678;

function sequence(seq: number, commands: Uint8Array[]): Uint8Array {
  const msg = new Uint8Array(RELAY_HEADER_LEN + commands.reduce((n, c) => n + 2 + c.length, 0));
  writeRelayHeader(OP_APDU_SEQUENCE, JOB, seq, 20, msg);
  let off = RELAY_HEADER_LEN;
  for (const c of commands) off = writeSequenceCommand(c, c.length, msg, off);
  return msg;
}

function relayWithCount(): { relay: DownloadRelay; seRuns: () => number } {
  const se = new TestSe().se;
  let runs = 0;
  const transceive = se.transceive.bind(se);
  se.transceive = (cmd, len, rsp) => {
    runs++;
    return transceive(cmd, len, rsp);
  };
  return { relay: new DownloadRelay(se, new Uint8Array(RELAY_ANSWER_MAX)), seRuns: () => runs };
}

function handle(relay: DownloadRelay, msg: Uint8Array): Uint8Array {
  return relay.answer.slice(0, relay.handle(msg, 0, msg.length));
}

describe('relay command sequences', () => {
  it('runs every command in order and answers the count with the last response; a repeat is answered from memory', () => {
    const { relay, seRuns } = relayWithCount();
    const msg = sequence(5, [SELECT_ISD, SELECT_ISD, SELECT_ISD]);
    const answer = handle(relay, msg);
    expect(answer[0]).toBe(RESULT_OK);
    expect(answer[1]).toBe(3);
    expect(toHex(answer.subarray(answer.length - 2))).toBe('9000');
    expect(seRuns()).toBe(3);
    expect(relay.seq).toBe(7);

    expect(toHex(handle(relay, msg.slice()))).toBe(toHex(answer));
    expect(seRuns()).toBe(3);
    expect(relay.repeated).toBe(1);

    // Same job and seq, other commands: not a repeat, and before the next command the SE is to run.
    expect(toHex(handle(relay, sequence(5, [SELECT_ISD, SELECT_ISD])))).toBe(toHex(Uint8Array.of(RESULT_SUPERSEDED)));
    expect(seRuns()).toBe(3);
  });

  it('gives the SE a job\'s sequences once each, in seq order, only after 9000: an earlier one is superseded, one past a gap waits, one after a stop is refused', () => {
    const { relay, seRuns } = relayWithCount();
    const first = sequence(5, [SELECT_ISD, SELECT_ISD]);
    const second = sequence(7, [SELECT_ISD, SELECT_ISD]);
    const third = sequence(9, [SELECT_ISD]);
    const refused = (code: number): string => toHex(Uint8Array.of(code));
    expect(handle(relay, first)[1]).toBe(2);
    // The third before the second (the second's packet lost): not run, the relay waits for the second.
    expect(toHex(handle(relay, third))).toBe(refused(RESULT_GAP));
    expect(seRuns()).toBe(2);
    const secondAnswer = handle(relay, second);
    expect(secondAnswer[1]).toBe(2);
    expect(seRuns()).toBe(4);
    // The first again (its PoR lost, a later sequence already ran): superseded, not run; the second
    // again is the last relay command: answered from memory.
    expect(toHex(handle(relay, first.slice()))).toBe(refused(RESULT_SUPERSEDED));
    expect(toHex(handle(relay, second.slice()))).toBe(toHex(secondAnswer));
    expect(seRuns()).toBe(4);
    expect(toHex(handle(relay, third))).not.toBe(refused(RESULT_GAP));
    expect(seRuns()).toBe(5);
    expect(relay.seq).toBe(9);

    // A sequence that stopped at an error: the one after it is refused without the SE.
    const { relay: r2, seRuns: runs2 } = relayWithCount();
    expect(toHex(handle(r2, sequence(5, [SELECT_ISD, UNKNOWN_INS])).subarray(2))).toBe('6d00');
    expect(toHex(handle(r2, sequence(7, [SELECT_ISD])))).toBe(refused(RESULT_STOPPED));
    expect(runs2()).toBe(2);
    // Another job (a new session's relay reference) starts afresh.
    const other = new Uint8Array(sequence(0, [SELECT_ISD]));
    writeRelayHeader(OP_APDU_SEQUENCE, JOB + 1, 0, 20, other);
    expect(handle(r2, other)[1]).toBe(1);
    expect(runs2()).toBe(3);
  });

  it('stops after the first command whose status is not 9000 and answers with that status', () => {
    const { relay, seRuns } = relayWithCount();
    const answer = handle(relay, sequence(5, [SELECT_ISD, UNKNOWN_INS, SELECT_ISD]));
    expect(answer[0]).toBe(RESULT_OK);
    expect(answer[1]).toBe(2);
    expect(toHex(answer.subarray(2))).toBe('6d00');
    expect(seRuns()).toBe(2);
    expect(relay.seq).toBe(6);
  });

  it('refuses a malformed sequence before the SE runs any of it', () => {
    const { relay, seRuns } = relayWithCount();
    const good = sequence(5, [SELECT_ISD, SELECT_ISD]);
    const cases: [string, Uint8Array][] = [
      ['a length past the body', good.slice(0, good.length - 1)],
      ['a length octet cut off', good.slice(0, RELAY_HEADER_LEN + 2 + SELECT_ISD.length + 1)],
      ['a command under 4 octets', sequence(5, [SELECT_ISD, fromHex('80FF00')])],
      ['no command', sequence(5, [])],
      ['more than the MCU holds', sequence(5, [SELECT_ISD, new Uint8Array(MAX_COMMAND_LEN - SELECT_ISD.length - 3).fill(0x80)])],
    ];
    for (const [what, msg] of cases) expect(toHex(handle(relay, msg)), what).toBe(toHex(Uint8Array.of(RESULT_MALFORMED)));
    expect(seRuns()).toBe(0);
  });
});
