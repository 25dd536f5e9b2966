/**
 * The parties' servers run their purse DES on node:crypto when given its engines
 * (net/crypto/node-des.ts, what `tapcard` passes: cli/simulated-parties.ts): the same card keys,
 * packages and MACs as on the portable engines, one PbocCrypto serving card after card.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { devBankMasterKeys, devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { nodePbocCrypto } from '../../net/crypto/node-des';
import { DevKeysSecurityModule } from '../../parties/purse-security-module';
import { TransitIssuer } from '../../parties/transit-issuer';
import type { PurchaseRequest } from '../../contracts/purse-security-module';

function purchase(card: number): PurchaseRequest {
  return {
    cardNumber: fromHex(`310410000000000123${String(40 + card)}`),
    keyIndex: 1,
    keyVersion: 1,
    algorithm: 0,
    amount: 100 + card,
    txType: 0x06,
    terminalId: fromHex('001122334455'),
    random: fromHex(`1122334${card}`),
    dateTime: fromHex('20261205101500'),
    offlineCounter: card,
    terminalSerial: fromHex(`0000000${card}`),
  } as PurchaseRequest;
}

describe("the parties' purse DES on node:crypto", () => {
  for (const [name, keys] of [['transit', devTransitMasterKeys()], ['bank', devBankMasterKeys()]] as const) {
    it(`${name} security module: the purchase MAC1 of the portable engines, card after card`, async () => {
      const soft = new DevKeysSecurityModule(keys);
      const server = new DevKeysSecurityModule(keys, nodePbocCrypto());
      const seen = new Set<string>();
      for (let card = 0; card < 4; card++) {
        const tx = { ...purchase(card), keyIndex: keys.keyIndex, keyVersion: keys.keyVersion };
        const mac1 = toHex(await server.purchaseMac1(tx));
        expect(mac1).toBe(toHex(await soft.purchaseMac1(tx)));
        seen.add(mac1);
        const proof = { tac: new Uint8Array(4), mac2: new Uint8Array(4) };
        expect(await server.verifyPurchase(tx, proof)).toBe(await soft.verifyPurchase(tx, proof));
      }
      expect(seen.size).toBe(4);
    });
  }

  it('transit issuer: the same package for the same card number', async () => {
    const number = '31041000000000054321';
    const soft = new TransitIssuer({ nextCardNumber: () => number });
    const server = new TransitIssuer({ nextCardNumber: () => number, pboc: nodePbocCrypto() });
    const req = { applicationId: 'transit', deviceId: 'device-1', seSerial: '0102030405060708090a', jobId: 'job-1' };
    for (let i = 0; i < 2; i++) {
      expect(toHex((await server.issuePackage(req)).loadFile)).toBe(toHex((await soft.issuePackage(req)).loadFile));
    }
  });
});
