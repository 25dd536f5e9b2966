/**
 * GpSession's own sequencing against a scripted card (no secure channel needed for GET STATUS
 * here): 6310 continuation, 6A88 as "none", the P1 20 fallback, malformed answers, T=1 framing.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { CardError, CardResponseError, GpArgumentError } from '../../contracts/card-errors';
import { GpSession } from '../../host/gp/gp-session';

/** A card that answers each command (hex, exact) from a table; anything else is 6D00. */
function scriptedCard(script: Record<string, string>): { transmit: (apdu: Uint8Array) => Promise<Uint8Array>; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    transmit: async (apdu) => {
      const cmd = toHex(apdu);
      seen.push(cmd);
      return fromHex(script[cmd] ?? '6d00');
    },
  };
}

const APP1 = 'e3114f08a0000001510001019f700107c50100';
const APP2 = 'e3114f08a0000001510001029f700103c50100';

describe('GpSession.getStatus / list', () => {
  it('follows 6310 with P2 03 and collects every entry', async () => {
    const card = scriptedCard({ '80f24002024f0000': APP1 + '6310', '80f24003024f0000': APP2 + '9000' });
    const items = await new GpSession(card.transmit).getStatus(0x40, 'APP');
    expect(items.map((i) => [i.aid, i.lifeCycleName])).toEqual([
      ['A000000151000101', 'SELECTABLE'],
      ['A000000151000102', 'INSTALLED'],
    ]);
    expect(card.seen).toEqual(['80f24002024f0000', '80f24003024f0000']);
  });

  it('reads 6A88 as an empty part and falls back to P1 20 when P1 10 is refused (6A86)', async () => {
    const card = scriptedCard({
      '80f28002024f0000': 'e3144f07a00000015100009f700107c50180ea0280009000',
      '80f24002024f0000': '6a88',
      '80f21002024f0000': '6a86',
      '80f22002024f0000': 'e3114f07a00000015100019f700101ce0201009000',
    });
    const reg = await new GpSession(card.transmit).list();
    expect(reg.isd.map((i) => i.aid)).toEqual(['A0000001510000']);
    expect(reg.apps).toEqual([]);
    expect(reg.loadFiles.map((i) => [i.aid, i.version, i.modules])).toEqual([['A0000001510001', '1.0', []]]);
  });

  it('a malformed registry answer is a CardResponseError, an error SW a CardError', async () => {
    const bad = scriptedCard({ '80f24002024f0000': 'e3054f03a000009000' });
    await expect(new GpSession(bad.transmit).getStatus(0x40, 'APP')).rejects.toBeInstanceOf(CardResponseError);
    const refused = scriptedCard({ '80f24002024f0000': '6982' });
    await expect(new GpSession(refused.transmit).getStatus(0x40, 'APP')).rejects.toMatchObject({ sw: 0x6982, command: 'GET STATUS' });
    await expect(new GpSession(refused.transmit).getStatus(0x40, 'APP')).rejects.toBeInstanceOf(CardError);
  });

  it('SELECT reads the FCI; a card without FCI keeps the AID asked for', async () => {
    const card = scriptedCard({ '00a4040008a00000015100000000': '6f108408a000000151000000a5049f6501809000', '00a4040007a000000003000000': '9000' });
    const gp = new GpSession(card.transmit);
    expect(await gp.selectIsd()).toEqual({ aid: fromHex('a000000151000000'), maxCommandData: 0x80 });
    expect(await gp.selectIsd(fromHex('a0000000030000'))).toEqual({ aid: fromHex('a0000000030000'), maxCommandData: -1 });
    await expect(gp.selectIsd(fromHex('a000'))).rejects.toBeInstanceOf(GpArgumentError);
  });

  it('refuses an R-APDU shorter than a status word', async () => {
    const gp = new GpSession(async () => new Uint8Array(1));
    await expect(gp.selectIsd()).rejects.toThrow(/ends with SW1 SW2/);
  });
});
