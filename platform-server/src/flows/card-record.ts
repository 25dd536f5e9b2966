/**
 * A card's card-manager record (the seed's service information, core/se/card-manager.ts) as the
 * MCU reports it through the relay: OP_COMPLETE names an instance AID, the answer is
 * `00 | slot | record(51)` or `02` when no card holds it (core/mcu/relay-message.ts). The record is
 * not secret; the MCU reads it from the SE's card manager without a session.
 */
import { appletClassName } from '../../../firmware/src/core/applets/built-in';
import { readU16, readU31 } from '../../../firmware/src/core/bytes';
import { OP_COMPLETE, RESULT_NOT_FOUND, RESULT_OK } from '../../../firmware/src/core/mcu/relay-message';
import {
  CARD_NUMBER_LEN, CM_AID, CM_AID_LEN, CM_APP_CLASS, CM_BALANCE, CM_CARD_NUMBER, CM_ISSUER, CM_RECORD_LEN, CM_STATUS, CM_VERSION,
} from '../../../firmware/src/core/se/card-manager';
import type { RelayJob, SeRelay } from './se-relay';

export interface CardRecordView {
  slot: number;
  appClass: number;
  /** The class by name: transit, ecash, loyalty. */
  appClassName: string;
  /** The application AID the record names, lower-case hex. */
  aid: string;
  issuer: number;
  cardNumber: string;
  /** Minor units. */
  balance: number;
  /** 'major.minor'. */
  version: string;
  status: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function decodeCardRecord(slot: number, record: Uint8Array): CardRecordView {
  if (record.length !== CM_RECORD_LEN) throw new Error(`card-manager record: expected ${CM_RECORD_LEN} octets, got ${record.length}`);
  const aidLen = Math.min(record[CM_AID_LEN], CM_ISSUER - CM_AID);
  return {
    slot,
    appClass: record[CM_APP_CLASS],
    appClassName: appletClassName(record[CM_APP_CLASS]),
    aid: hex(record.subarray(CM_AID, CM_AID + aidLen)),
    issuer: readU16(record, CM_ISSUER),
    cardNumber: hex(record.subarray(CM_CARD_NUMBER, CM_CARD_NUMBER + CARD_NUMBER_LEN)),
    balance: readU31(record, CM_BALANCE),
    version: `${record[CM_VERSION]}.${record[CM_VERSION + 1]}`,
    status: record[CM_STATUS],
  };
}

/** Asks the MCU for the record of the card holding instance `aidHex`; null when no card holds it. */
export async function readCardRecord(relay: SeRelay, job: RelayJob, seq: number, aidHex: string, total: number): Promise<CardRecordView | null> {
  const answer = await relay.relayRaw(job, OP_COMPLETE, seq, Buffer.from(aidHex, 'hex'), total);
  if (answer.length === 1 && answer[0] === RESULT_NOT_FOUND) return null;
  if (answer[0] !== RESULT_OK || answer.length !== 2 + CM_RECORD_LEN) throw new Error(`card-manager record for ${aidHex}: the terminal answered result ${answer[0]} (${answer.length} octets)`);
  return decodeCardRecord(answer[1], answer.subarray(2));
}
