/**
 * The purse transactions as the terminal API carries them (docs/terminal-api.md): the fields of
 * PurchaseRequest / LoadRequest (purse-security-module.ts) as JSON, bytes as lower-case
 * hex, the card number as its 20 digits. The POS encodes them (pos-sim/src/online/online-security-module.ts);
 * the platform checks them against its schemas (purse-wire.ts) before decoding.
 */
import { fromHex, toHex } from '../firmware/src/core/hex';
import type { LoadRequest, PurchaseRequest } from './purse-security-module';

export interface PurchaseJson {
  cardNumber: string;
  keyIndex: number;
  keyVersion: number;
  algorithm: number;
  amount: number;
  txType: number;
  terminalId: string;
  offlineCounter: number;
  random: string;
  terminalSerial: string;
  dateTime: string;
}

export interface LoadJson {
  cardNumber: string;
  keyIndex: number;
  keyVersion: number;
  algorithm: number;
  amount: number;
  txType: number;
  terminalId: string;
  balance: number;
  onlineCounter: number;
  random: string;
  dateTime: string;
}

export function purchaseJson(tx: PurchaseRequest): PurchaseJson {
  return {
    cardNumber: toHex(tx.cardNumber), keyIndex: tx.keyIndex, keyVersion: tx.keyVersion, algorithm: tx.algorithm, amount: tx.amount,
    txType: tx.txType, terminalId: toHex(tx.terminalId), offlineCounter: tx.offlineCounter, random: toHex(tx.random),
    terminalSerial: toHex(tx.terminalSerial), dateTime: toHex(tx.dateTime),
  };
}

export function loadJson(tx: LoadRequest): LoadJson {
  return {
    cardNumber: toHex(tx.cardNumber), keyIndex: tx.keyIndex, keyVersion: tx.keyVersion, algorithm: tx.algorithm, amount: tx.amount,
    txType: tx.txType, terminalId: toHex(tx.terminalId), balance: tx.balance, onlineCounter: tx.onlineCounter, random: toHex(tx.random),
    dateTime: toHex(tx.dateTime),
  };
}

export function purchaseFromJson(j: PurchaseJson): PurchaseRequest {
  return {
    cardNumber: fromHex(j.cardNumber), keyIndex: j.keyIndex, keyVersion: j.keyVersion, algorithm: j.algorithm, amount: j.amount,
    txType: j.txType, terminalId: fromHex(j.terminalId), offlineCounter: j.offlineCounter, random: fromHex(j.random),
    terminalSerial: fromHex(j.terminalSerial), dateTime: fromHex(j.dateTime),
  };
}

export function loadFromJson(j: LoadJson): LoadRequest {
  return {
    cardNumber: fromHex(j.cardNumber), keyIndex: j.keyIndex, keyVersion: j.keyVersion, algorithm: j.algorithm, amount: j.amount,
    txType: j.txType, terminalId: fromHex(j.terminalId), balance: j.balance, onlineCounter: j.onlineCounter, random: fromHex(j.random),
    dateTime: fromHex(j.dateTime),
  };
}
