/**
 * The issuer interface's idempotency key is the download job (contracts/issuer.ts): a platform that
 * lost an issuer's answer (a kill -9 or a power cut before its record of the package was on disk:
 * download-package.ts) asks again for the same job, and gets the same card's package; no second
 * card is issued. A new job still gets a new card.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulatedParties, type RunningParties } from '../../cli/simulated-parties';
import type { IssuerAdapter, PackageRequest } from '../../contracts/issuer';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';

let tp: TempPlatform;
let running: RunningParties;

beforeEach(async () => {
  tp = await tempPlatform();
  running = startSimulatedParties(tp.platform);
});
afterEach(() => {
  running.close();
  tp.cleanup();
});

const issuedCards = (issuer: string): string[] =>
  (running.parties.db.prepare('SELECT card_number FROM issued_cards WHERE issuer = ? ORDER BY card_number').all(issuer) as { card_number: string }[]).map((r) => r.card_number);

const cases: { issuer: 'transit' | 'bank' | 'merchant'; applicationId: string }[] = [
  { issuer: 'transit', applicationId: 'transit' },
  { issuer: 'bank', applicationId: 'ecash' },
  { issuer: 'merchant', applicationId: 'loyalty' },
];

describe('an issuer asked again for the same download job', () => {
  for (const c of cases) {
    it(`${c.issuer}: the same card's package, one card issued; another job, another card`, async () => {
      const adapter: IssuerAdapter = running.parties[c.issuer];
      expect(adapter.applications().map((a) => a.id)).toContain(c.applicationId);
      const req: PackageRequest = { applicationId: c.applicationId, deviceId: 'device-1', seSerial: '0102030405060708090a', jobId: 'job-1' };
      const first = await adapter.issuePackage(req);
      const again = await adapter.issuePackage(req);
      expect(again.cardNumber).toBe(first.cardNumber);
      expect(Buffer.from(again.loadFile).equals(Buffer.from(first.loadFile))).toBe(true);
      expect(Buffer.from(again.instanceAid).equals(Buffer.from(first.instanceAid))).toBe(true);
      expect(issuedCards(c.issuer)).toEqual([first.cardNumber]);

      const other = await adapter.issuePackage({ ...req, jobId: 'job-2' });
      expect(other.cardNumber).not.toBe(first.cardNumber);
      expect(issuedCards(c.issuer)).toEqual([first.cardNumber, other.cardNumber].sort());
    });
  }
});
