/**
 * The platform's end of the MCU relay (core/mcu/relay-message.ts, TAR_MCU_RELAY), shared by the
 * download, delete and status jobs (docs/flows.md §2, §5, §6): one relay command sent until its
 * PoR comes (the same bytes every time, so the MCU can answer a repeat from memory), the SCP03
 * session opened through it, and protected commands wrapped, relayed and unwrapped, one per relay
 * command or several in one (a sequence: one secured packet and one PoR for up to a packet's worth
 * of commands, where only the last answer matters, such as the LOAD blocks of an install script).
 *
 * A job's relay reference (its `relayRef`, fresh per attempt) and seq number name each command;
 * the MCU only ever sees protected bytes it cannot read (SCP03 SL 33).
 */
import { GetStatusReader, RegistryEntry, buildGetStatus } from '../../../firmware/src/core/gp/get-status';
import { toHex } from '../../../firmware/src/core/hex';
import { POR, porText } from '../../../firmware/src/core/link/por-status';
import {
  OP_APDU, OP_APDU_SEQUENCE, RELAY_HEADER_LEN, RESULT_GAP, RESULT_OK, RESULT_SUPERSEDED, SEQUENCE_LENGTH_LEN, SEQUENCE_MAX_COMMANDS,
  writeRelayHeader, writeSequenceCommand,
} from '../../../firmware/src/core/mcu/relay-message';
import { MAX_COMMAND_LEN } from '../../../firmware/src/core/se/secure-element';
import { TAR_MCU_RELAY } from '../../../firmware/src/core/mcu/tars';
import { SW } from '../../../firmware/src/core/sw';
import { LinkError, type PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { DOWNLOAD_SECURITY_LEVEL, SeChannel, SeChannelError, type SessionSeed } from './data-security-unit';

/** The SE lost its session (terminal rebooted, or a bad R-MAC): the job opens a new one. */
export class SessionLost extends Error {}

/** What every SE job keeps in its context: the relay reference of this attempt and the session seed. */
export interface RelayContext {
  /** The relay's job field for this attempt (31-bit, fresh per attempt). */
  relayRef: number;
  seed: SessionSeed | null;
}

/** The part of a job the relay needs. */
export interface RelayJob {
  id: string;
  device_id: string;
  context: RelayContext;
}

/** Relay seq numbers of the session opening, the same for every job kind. */
export const SEQ_SELECT = 0;
export const SEQ_INIT_UPDATE = 1;
export const SEQ_EXT_AUTH = 2;
/** First seq after the opening. */
export const SEQ_AFTER_OPEN = 3;

export interface SeRelayOptions {
  porTimeoutMs: number;
  sendLimit: number;
  /** Sequences in flight at once (protectedSequences; default SEQUENCE_WINDOW). */
  sequenceWindow?: number;
}

/**
 * Sequences of an install script in flight at once by default: the terminal syncs its counter
 * file once for all the packets that came while the last sync ran, and the link's round trips
 * overlap (docs/performance.md, the fourth end-to-end download round). Eight: a 4 KB package's
 * script (5 sequences) goes out whole, so its last sequence does not wait for the first one's PoR
 * and its counter is synced with the window's, one terminal fdatasync fewer in the download's path.
 * The MCU holds nothing per sequence in flight (it keeps its last relay command and answer only);
 * what a window costs is frames queued at the broker (8 packets of up to 8 frames of 140 octets)
 * and, after a lost PoR that no later answer vouches for, the sequences after it sent again.
 */
export const SEQUENCE_WINDOW = 8;

/** What one send of a sequence in flight came to. */
type Outcome = { answer: Uint8Array } | { lost: Error } | { fatal: Error };

/** A sequence in flight (protectedSequences). */
interface InFlight {
  seq: number;
  /** Its commands: plains[from, from + count). */
  from: number;
  count: number;
  /** The relay command, the same bytes at every send. */
  msg: Uint8Array;
  /** What its answer is checked against (SeChannel.chain after its last command). */
  chain: Uint8Array;
  sends: number;
  /** The outcome of its latest send, null while it is awaited. */
  outcome: Outcome | null;
}

export class SeRelay {
  constructor(
    private readonly p: Platform,
    private readonly link: PlatformLink,
    private readonly log: Log,
    private readonly opts: SeRelayOptions,
    private readonly closed: () => boolean,
  ) {}

  /**
   * Opens the job's SCP03 session through the MCU and reads what the job needs first; returns the
   * session seed (both public halves) for the job to persist, never a key, the open session, which
   * the caller keeps for the job's next steps or closes, and the plain answers of `reads`.
   *
   *   seq 0-1   SELECT ISD, INITIALIZE UPDATE: one sequence (one secured packet, one PoR); SELECT
   *             answers with no data the platform needs, and the sequence stops at it unless 9000
   *   seq 2     EXTERNAL AUTHENTICATE: it carries the host cryptogram, which needs INITIALIZE
   *             UPDATE's answer (GP Amendment D §7.1.1, §7.1.2), so it goes once that answer came;
   *             with reads, it goes in one sequence with the first of them (its answer, 9000 with
   *             no data and no R-MAC, §7.1.2, says nothing the first read's R-MAC does not: the SE
   *             answers a protected command under the session only once authenticated), and each
   *             further read goes as a command of its own (OP_APDU, seq 3..) in flight with it
   *
   * So a session opens in two round trips instead of three, and the job's first reads come with the
   * second one. Reads are commands whose answers the job needs each (GET STATUS): a read's answer the
   * MCU no longer holds because it ran a later one (its PoR lost, the MCU answers superseded) loses
   * the session, and the job opens a new one; reads change nothing on the SE, so nothing is done
   * twice. The MCU gives a read sent as OP_APDU to the SE whatever it was given before (its window
   * rules are for sequences, core/mcu/download.ts): a read that overtook the sequence before it
   * reaches the SE out of its C-MAC chain and is refused, and the session is lost the same way.
   *
   * The caller gives the job a fresh relay reference for each opening (job-steps.ts freshRelayRef):
   * the MCU would answer a new seq-0 sequence under a reference it already ran commands of as
   * superseded.
   */
  async open(job: RelayJob, seSerial: string, kvn: number, total: number, reads: Uint8Array[] = [], ok: number[] = [SW.OK]): Promise<{ seed: SessionSeed; channel: SeChannel; answers: Uint8Array[] }> {
    const { channel, hostChallenge } = SeChannel.begin(this.p, seSerial, kvn);
    try {
      const first = await this.relayRaw(job, OP_APDU_SEQUENCE, SEQ_SELECT, sequenceBody([channel.selectIsd(), channel.initializeUpdate(hostChallenge)]), total);
      const iu = openingAnswer(first, 2, ['SELECT ISD', 'INITIALIZE UPDATE']);
      const ea = channel.externalAuthenticate(iu);
      const seed: SessionSeed = { hostChallenge, initUpdateResponse: Buffer.from(iu).toString('hex') };
      const answers: Uint8Array[] = [];
      if (reads.length === 0) {
        channel.authenticated(await this.relay(job, SEQ_EXT_AUTH, ea, total));
      } else {
        // Checked by the first read's R-MAC below.
        channel.authenticated(Uint8Array.of(0x90, 0x00));
        const wrapped = reads.map((r) => ({ apdu: channel.wrap(r), chain: channel.chain() }));
        const msgs = wrapped.map((w, i) => (i === 0 ? relayMessage(job, OP_APDU_SEQUENCE, SEQ_EXT_AUTH, sequenceBody([ea, w.apdu]), total) : relayMessage(job, OP_APDU, SEQ_EXT_AUTH + 1 + i, w.apdu, total)));
        const raw = await this.relayTogether(job, msgs, SEQ_EXT_AUTH);
        const last = openingAnswer(raw[0], 2, ['EXTERNAL AUTHENTICATE', commandName(reads[0])]);
        answers.push(plainAnswerOf(channel, wrapped[0].chain, reads[0], last, ok));
        for (let i = 1; i < reads.length; i++) {
          if (raw[i][0] !== RESULT_OK || raw[i].length < 3) throw new Error(`relay refused the command (result ${raw[i][0]})`);
          answers.push(plainAnswerOf(channel, wrapped[i].chain, reads[i], raw[i].subarray(1), ok));
        }
      }
      this.log('dpu.job.session', { jobId: job.id, securityLevel: DOWNLOAD_SECURITY_LEVEL });
      return { seed, channel, answers };
    } catch (err) {
      channel.close();
      if (err instanceof SeChannelError) throw new SessionLost(err.message);
      throw err;
    }
  }

  /**
   * Sends relay commands msgs (seq firstSeq on) all at once, each until its answer comes, and
   * returns every answer: a command is sent again (the same bytes, a new counter) when its PoR is
   * lost or the MCU reports a gap before it, once the commands before it are answered. A command
   * the MCU reports superseded lost its answer to a later one: the session is lost (open()).
   */
  private async relayTogether(job: RelayJob, msgs: Uint8Array[], firstSeq: number): Promise<Uint8Array[]> {
    const entries: InFlight[] = msgs.map((msg, i) => ({ seq: firstSeq + i, from: i, count: 1, msg, chain: new Uint8Array(0), sends: 0, outcome: null }));
    let changed: () => void = () => {};
    for (const e of entries) this.sendInFlight(job, e, () => changed());
    for (;;) {
      let i = 0;
      while (i < entries.length && resultOf(entries[i]) === RESULT_OK) i++;
      if (i === entries.length) return entries.map((e) => (e.outcome as { answer: Uint8Array }).answer);
      const e = entries[i];
      const o = e.outcome;
      if (o === null) {
        await new Promise<void>((resolve) => (changed = resolve));
        continue;
      }
      if ('fatal' in o) throw o.fatal;
      const result = resultOf(e);
      if (result === RESULT_SUPERSEDED) throw new SessionLost(`the MCU ran commands past seq ${e.seq} and no longer holds its answer`);
      if (!('lost' in o) && result !== RESULT_GAP) throw new Error(`relay refused the command (result ${result})`);
      const reason = 'lost' in o ? o.lost : new Error(`the MCU has not had the command before seq ${e.seq}`);
      if (e.sends >= this.opts.sendLimit) throw reason;
      this.log('dpu.job.resend', { jobId: job.id, seq: e.seq, sent: e.sends, reason: reason.message });
      this.sendInFlight(job, e, () => changed());
    }
  }

  /** Sends e's relay command once; its outcome is set when its PoR comes, or is lost, and `changed` hears of it. */
  private sendInFlight(job: RelayJob, e: InFlight, changed: () => void): void {
    if (this.closed()) throw new LinkError('platform closing', 'CLOSED');
    e.sends++;
    e.outcome = null;
    const settle = (o: Outcome): void => {
      if (e.outcome !== null) return;
      e.outcome = o;
      changed();
    };
    this.link.sendCommand(job.device_id, TAR_MCU_RELAY, e.msg, this.opts.porTimeoutMs).then(
      (por) => {
        if (por.verified && por.status === POR.OK) settle({ answer: por.data });
        else if (por.verified) settle({ fatal: new Error(`terminal refused the relay command: ${porText(por.status)}`) });
        else settle({ lost: new Error(`terminal refused the relay command: ${porText(por.status)} (clear PoR, ${e.sends} sends)`) });
      },
      (err: Error) => settle(err instanceof LinkError && err.code === 'POR_TIMEOUT' ? { lost: err } : { fatal: err }),
    );
  }

  /** Wraps, relays and unwraps one command; a status outside `ok` fails the job (or restarts it when the SE lost the session). */
  async protectedCommand(job: RelayJob, channel: SeChannel, seq: number, plain: Uint8Array, ok: number[], total: number): Promise<Uint8Array> {
    return plainAnswer(channel, plain, await this.relay(job, seq, channel.wrap(plain), total), ok);
  }

  /**
   * How many of plains, from the first on, one sequence carries: their protected forms, each with
   * its length, fit one command packet (the link's maxParts frames) and the MCU's command buffer.
   * Depends on the commands alone, so a resumed job groups the rest of its script as before.
   */
  sequenceLength(plains: Uint8Array[], from: number): number {
    const room = this.sequenceRoom();
    let used = 0;
    let n = 0;
    while (from + n < plains.length && n < SEQUENCE_MAX_COMMANDS) {
      used += SEQUENCE_LENGTH_LEN + SeChannel.wrappedLength(plains[from + n]);
      if (used > room) break;
      n++;
    }
    if (n === 0) throw new Error(`${commandName(plains[from])}: too long for one command packet`);
    return n;
  }

  /** Octets of sequence body one relay command carries: a command packet's data, and what the MCU holds. */
  private sequenceRoom(): number {
    return Math.min(this.link.commandDataMax - RELAY_HEADER_LEN, MAX_COMMAND_LEN);
  }

  /**
   * Wraps plains[from..] and relays them as sequences (OP_APDU_SEQUENCE, sequenceLength commands
   * each, one secured packet and one PoR each, seq numbering the first command, firstSeq the
   * first of plains), up to the relay's sequenceWindow of them in flight at once; `progress` hears
   * the index of the last command answered, in order, each time it moves. A sequence's answer
   * names how many of its commands ran and carries the last one's response, whose R-MAC covers the
   * C-MAC chain of all before it; the MCU gives a job's sequences to the SE in seq order, each only
   * after every command before it answered 9000 (core/mcu/download.ts), so an answered sequence
   * vouches for every one in flight before it, and a PoR lost inside the window costs nothing when
   * a later one comes. A sequence is sent again (the same bytes, a new counter) when its PoR is
   * lost and no later answer vouches for it, or when the MCU reports a gap before it; a sequence
   * the MCU reports superseded waits for a later one's answer (the MCU answers a repeat of its last
   * relay command from memory). The first sequence that stopped at a status outside `ok` fails the
   * job as one sent alone would; when every sequence in flight is superseded (the SE was given
   * commands past them, progress the platform lost), the session is lost and the job starts over.
   */
  async protectedSequences(
    job: RelayJob,
    channel: SeChannel,
    firstSeq: number,
    plains: Uint8Array[],
    from: number,
    ok: number[],
    total: number,
    beforeSend: () => void,
    progress: (lastAnswered: number) => void,
  ): Promise<void> {
    const inFlight: InFlight[] = [];
    let next = from;
    let changed: () => void = () => {};
    const send = (e: InFlight): void => {
      if (this.closed()) throw new LinkError('platform closing', 'CLOSED');
      beforeSend();
      this.sendInFlight(job, e, () => changed());
    };
    while (next < plains.length || inFlight.length > 0) {
      while (next < plains.length && inFlight.length < (this.opts.sequenceWindow ?? SEQUENCE_WINDOW)) {
        const n = this.sequenceLength(plains, next);
        const wrapped = plains.slice(next, next + n).map((p) => channel.wrap(p));
        const e: InFlight = { seq: firstSeq + next, from: next, count: n, msg: this.sequenceMessage(job, firstSeq + next, wrapped, total), chain: channel.chain(), sends: 0, outcome: null };
        inFlight.push(e);
        next += n;
        send(e);
      }
      // The newest sequence the SE ran vouches for every one before it.
      let ran = inFlight.length - 1;
      while (ran >= 0 && resultOf(inFlight[ran]) !== RESULT_OK) ran--;
      if (ran >= 0) {
        const e = inFlight[ran];
        inFlight.splice(0, ran + 1);
        sequenceAnswer(channel, e, plains, ok);
        progress(e.from + e.count - 1);
        continue;
      }
      const fatal = inFlight.find((e) => e.outcome !== null && 'fatal' in e.outcome);
      if (fatal !== undefined) throw (fatal.outcome as { fatal: Error }).fatal;
      let head = 0;
      while (head < inFlight.length && resultOf(inFlight[head]) === RESULT_SUPERSEDED) head++;
      if (head === inFlight.length) throw new SessionLost(`the MCU gave the SE commands past sequence ${inFlight[head - 1].seq} (progress lost)`);
      const h = inFlight[head];
      const o = h.outcome;
      if (o === null) {
        await new Promise<void>((resolve) => (changed = resolve));
        continue;
      }
      const result = resultOf(h);
      if (!('lost' in o) && result !== RESULT_GAP) throw new Error(`relay refused the sequence (result ${result})`);
      const reason = 'lost' in o ? o.lost : new Error(`the MCU has not had the sequence before seq ${h.seq}`);
      if (h.sends >= this.opts.sendLimit) throw reason;
      this.log('dpu.job.resend', { jobId: job.id, seq: h.seq, sent: h.sends, reason: reason.message });
      send(h);
    }
  }

  /** The relay command of one sequence of wrapped commands. */
  private sequenceMessage(job: RelayJob, seq: number, wrapped: Uint8Array[], total: number): Uint8Array {
    const body = sequenceBody(wrapped);
    if (body.length > this.sequenceRoom()) throw new Error(`sequence of ${body.length} octets: over the ${this.sequenceRoom()} one relay command carries`);
    return relayMessage(job, OP_APDU_SEQUENCE, seq, body, total);
  }

  /** One OP_APDU relay command; returns the SE's response APDU. */
  async relay(job: RelayJob, seq: number, apdu: Uint8Array, total: number): Promise<Uint8Array> {
    const answer = await this.relayRaw(job, OP_APDU, seq, apdu, total);
    if (answer[0] !== RESULT_OK || answer.length < 3) throw new Error(`relay refused the command (result ${answer[0]})`);
    return answer.subarray(1);
  }

  /**
   * Sends one relay command until its verified PoR comes (the same bytes every time), up to
   * sendLimit. A verified refusal echoes this command's counter: the job fails with it. A clear
   * refusal echoes no counter (ETSI TS 102 225 §5.2: only a PoR under the command's keys carries
   * one), so it may answer another packet, such as one a previous holder of the device left in
   * flight and the terminal spliced with this one: it counts as a lost PoR, and the command goes
   * again. The MCU answers a repeat of its last command from memory, so the SE never runs it twice
   * however often it is sent; a refusal that persists fails the job with its reason at sendLimit.
   */
  async relayRaw(job: RelayJob, op: number, seq: number, body: Uint8Array, total: number): Promise<Uint8Array> {
    const msg = relayMessage(job, op, seq, body, total);
    for (let sent = 1; ; sent++) {
      if (this.closed()) throw new LinkError('platform closing', 'CLOSED');
      let lost: Error;
      try {
        const por = await this.link.sendCommand(job.device_id, TAR_MCU_RELAY, msg, this.opts.porTimeoutMs);
        if (por.verified && por.status === POR.OK) return por.data;
        if (por.verified) throw new Error(`terminal refused the relay command: ${porText(por.status)}`);
        lost = new Error(`terminal refused the relay command: ${porText(por.status)} (clear PoR, ${sent} sends)`);
      } catch (err) {
        if (!(err instanceof LinkError) || err.code !== 'POR_TIMEOUT') throw err;
        lost = err;
      }
      if (sent >= this.opts.sendLimit) throw lost;
      this.log('dpu.job.resend', { jobId: job.id, seq, sent, reason: lost.message });
    }
  }
}

/** A relay command: the header, then body. */
function relayMessage(job: RelayJob, op: number, seq: number, body: Uint8Array, total: number): Uint8Array {
  const msg = new Uint8Array(RELAY_HEADER_LEN + body.length);
  writeRelayHeader(op, job.context.relayRef, seq, total, msg);
  msg.set(body, RELAY_HEADER_LEN);
  return msg;
}

/** The body of an OP_APDU_SEQUENCE: each command with its length. */
function sequenceBody(apdus: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(apdus.reduce((n, a) => n + SEQUENCE_LENGTH_LEN + a.length, 0));
  let off = 0;
  for (const a of apdus) off = writeSequenceCommand(a, a.length, body, off);
  return body;
}

/**
 * The last response of an opening sequence of names.length commands (RESULT_OK, executed(1), the
 * last executed command's response): all of them must have run; the first that did not answer
 * 9000 fails the opening with its status (EXTERNAL AUTHENTICATE's refusal loses the session, as
 * SeChannel.authenticated's check does).
 */
function openingAnswer(answer: Uint8Array, count: number, names: string[]): Uint8Array {
  if (answer[0] !== RESULT_OK || answer.length < 4) throw new Error(`relay refused the command (result ${answer[0]})`);
  const executed = answer[1];
  const last = answer.subarray(2);
  if (executed === count) return last;
  if (executed < 1 || executed > count || swOf(last) === SW.OK) throw new Error(`relay reports ${executed} of ${count} commands run`);
  const what = `${names[executed - 1]}: SW ${swOf(last).toString(16).padStart(4, '0')}`;
  if (names[executed - 1] === 'EXTERNAL AUTHENTICATE') throw new SessionLost(what);
  throw new Error(what);
}

/** GET STATUS, first (P2 02) or next (P2 03) occurrence, for registry part p1 (GPCS 11.4). */
export function statusCommand(p1: number, next = false): Uint8Array {
  const buf = new Uint8Array(16);
  return buf.slice(0, buildGetStatus(p1, next, buf));
}

export function swOf(rapdu: Uint8Array): number {
  return rapdu.length < 2 ? 0 : (rapdu[rapdu.length - 2] << 8) | rapdu[rapdu.length - 1];
}

/** One registry entry as the platform keeps it (GPCS Tables 11-36, 11-37), AIDs in lower-case hex. */
export interface RegistryView {
  aid: string;
  /** An application's load file AID ('' for the ISD and load files). */
  elfAid: string;
  lifeCycle: number;
  /** Privileges, hex ('' when absent). */
  privileges: string;
  /** A load file's version 'major.minor', or null. */
  version: string | null;
}

/** The entries of one decrypted GET STATUS answer (data || SW, SW 9000 or 6310), and whether one did not parse. */
export function readRegistry(plainAnswer: Uint8Array): { entries: RegistryView[]; malformed: boolean } {
  const entries: RegistryView[] = [];
  const sw = swOf(plainAnswer);
  if (sw !== SW.OK && sw !== SW.WARN_MORE_DATA) return { entries, malformed: false };
  const reader = new GetStatusReader().reset(plainAnswer, 0, plainAnswer.length - 2);
  const e = new RegistryEntry();
  while (reader.next(e)) {
    entries.push({
      aid: toHex(e.aid, 0, e.aidLen).toLowerCase(),
      elfAid: toHex(e.elfAid, 0, e.elfAidLen).toLowerCase(),
      lifeCycle: e.lifeCycle,
      privileges: toHex(e.privileges, 0, e.privilegesLen).toLowerCase(),
      version: e.version < 0 ? null : `${(e.version >> 8) & 0xff}.${e.version & 0xff}`,
    });
  }
  return { entries, malformed: reader.malformed };
}

/** The target card information of a complete (9000) GET STATUS answer: registry entries, or none. */
export function registryEntries(plainAnswer: Uint8Array): RegistryView[] {
  return swOf(plainAnswer) === SW.OK ? readRegistry(plainAnswer).entries : [];
}

/** The relay's result in an answered send of e, or -1 (not answered yet, or lost). */
function resultOf(e: InFlight): number {
  return e.outcome !== null && 'answer' in e.outcome && e.outcome.answer.length > 0 ? e.outcome.answer[0] : -1;
}

/**
 * Checks the answer (RESULT_OK) of a sequence in flight: executed(1) | the last executed command's
 * response. The SE stopped at an error status, which carries no R-MAC (GP Amendment D §6.2.5), or
 * ran them all: the last response is unwrapped against the sequence's chain; a status outside `ok`
 * fails the job as protectedCommand does.
 */
function sequenceAnswer(channel: SeChannel, e: InFlight, plains: Uint8Array[], ok: number[]): Uint8Array {
  const answer = (e.outcome as { answer: Uint8Array }).answer;
  if (answer.length < 4) throw new Error(`relay refused the sequence (result ${answer[0]})`);
  const executed = answer[1];
  const last = answer.subarray(2);
  if (executed < 1 || executed > e.count) throw new Error(`relay reports ${executed} of ${e.count} commands run`);
  if (executed < e.count) {
    const sw = swOf(last);
    if (sw === SW.OK) throw new Error(`relay reports ${executed} of ${e.count} commands run, the last with 9000`);
    checkSessionStatus(sw);
    throw new Error(`${commandName(plains[e.from + executed - 1])}: SE answered SW ${sw.toString(16).padStart(4, '0')}`);
  }
  checkSessionStatus(swOf(last));
  let result: Uint8Array;
  try {
    result = channel.unwrapOf(e.chain, last);
  } catch (err) {
    throw new SessionLost((err as Error).message);
  }
  const psw = swOf(result);
  if (!ok.includes(psw)) throw new Error(`${commandName(plains[e.from + e.count - 1])}: SE answered SW ${psw.toString(16).padStart(4, '0')}`);
  return result;
}

/** An SE that answers these lost its SCP03 session (a reset, or a session replaced): the job opens a new one. */
function checkSessionStatus(sw: number): void {
  if (sw === SW.ERR_SECURITY_STATUS || sw === SW.ERR_CLA_NOT_SUPPORTED) throw new SessionLost(`SE answered ${sw.toString(16)}: its session is gone`);
}

/** The plain answer of a relayed protected command; a status outside `ok` fails the job. */
function plainAnswer(channel: SeChannel, plain: Uint8Array, answer: Uint8Array, ok: number[]): Uint8Array {
  return plainAnswerOf(channel, null, plain, answer, ok);
}

/** plainAnswer of the command whose SeChannel.chain() is chain (null: the last wrapped). */
function plainAnswerOf(channel: SeChannel, chain: Uint8Array | null, plain: Uint8Array, answer: Uint8Array, ok: number[]): Uint8Array {
  checkSessionStatus(swOf(answer));
  let result: Uint8Array;
  try {
    result = chain === null ? channel.unwrap(answer) : channel.unwrapOf(chain, answer);
  } catch (err) {
    throw new SessionLost((err as Error).message);
  }
  const psw = swOf(result);
  if (!ok.includes(psw)) throw new Error(`${commandName(plain)}: SE answered SW ${psw.toString(16).padStart(4, '0')}`);
  return result;
}

function commandName(apdu: Uint8Array): string {
  return `command ${Buffer.from(apdu.subarray(0, 4)).toString('hex')}`;
}
