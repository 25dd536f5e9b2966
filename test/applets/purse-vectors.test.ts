/**
 * The published PBOC e-purse vectors (docs/standards.md "PBOC vectors") through the installed applets, APDU for APDU:
 * the load vector on the e-cash card's ED purse (P2 01, type 01), the purchase vector on the
 * transit card's EP purse (P2 02, type 06). The vectors' card keys are put straight into the
 * package; the card's random is the vectors' 11223344. TACs use DTK 479E71BE... (docs/standards.md "PBOC vectors":
 * self-computed, consistency only).
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/src/core/hex';
import { KEY_ALG_3DES, KEY_TYPE_LOAD, KEY_TYPE_PURCHASE, KEY_TYPE_TAC } from '../../firmware/src/core/package/format';
import { makePackageSpec } from '../../firmware/src/core/package/card-package';
import { TestSe, cardRequest, installPackage, packageFile } from './_harness';
import { PurseTerminal, load } from './_terminal';

const VECTOR_KEY = fromHex('11223344556677888877665544332211');
const VECTOR_DTK = fromHex('479e71beff107a76138d34f84b2031ff');

function vectorCard(app: 'transit' | 'ecash') {
  const spec = makePackageSpec(cardRequest({ app }));
  spec.keys = [
    // Key versions as the vectors' INITIALIZE responses show them: load 02, purchase 01.
    { type: KEY_TYPE_LOAD, index: 1, version: 2, algorithm: KEY_ALG_3DES, value: VECTOR_KEY },
    { type: KEY_TYPE_PURCHASE, index: 1, version: 1, algorithm: KEY_ALG_3DES, value: VECTOR_KEY },
    { type: KEY_TYPE_TAC, index: 1, version: 1, algorithm: KEY_ALG_3DES, value: VECTOR_DTK },
  ];
  return { spec, file: packageFile(spec) };
}

async function installed(app: 'transit' | 'ecash') {
  const t = new TestSe();
  const { spec, file } = vectorCard(app);
  await installPackage(t.transmit, file, spec);
  t.ok('00a40400' + spec.instanceAid.length.toString(16).padStart(2, '0') + Buffer.from(spec.instanceAid).toString('hex') + '00');
  return t;
}

describe('PBOC vectors through the purse applets (docs/standards.md "PBOC vectors")', () => {
  it('load: INITIALIZE FOR LOAD answers MAC1 2988AE5A, CREDIT FOR LOAD with MAC2 3A845BF0 answers TAC 5B35865C', async () => {
    const t = await installed('ecash');
    t.random.push('11223344');
    expect(t.send('805000010b0100001000001122334455' + '10')).toBe('00000000' + '0000' + '02' + '00' + '11223344' + '2988ae5a' + '9000');
    expect(t.send('805200000b' + '20111221' + '214822' + '3a845bf0' + '04')).toBe('5b35865c' + '9000');
    expect(t.ok('805c000104')).toBe('00001000');
  });

  it('purchase: DEBIT FOR PURCHASE with MAC1 F15CAB75 answers TAC 7AD0436A and MAC2 56988A13', async () => {
    const t = await installed('transit');
    // The vector's purse holds 0x1000 fen: load it first (EP, online counter; the offline counter stays 0000).
    load((h) => t.send(h), new PurseTerminal({ load: VECTOR_KEY, purchase: VECTOR_KEY, tac: VECTOR_DTK }), 2, 0x1000);
    t.random.push('11223344');
    expect(t.send('805001020b0100001000001122334455' + '0f')).toBe('00001000' + '0000' + '000000' + '01' + '00' + '11223344' + '9000');
    expect(t.send('805401000f' + '00000001' + '20120229' + '135100' + 'f15cab75' + '08')).toBe('7ad0436a' + '56988a13' + '9000');
    expect(t.ok('805c000204')).toBe('00000000');
    // GET TRANSACTION PROVE for type 06, counter 0000: the same MAC2 and TAC.
    expect(t.ok('805a0006020000' + '08')).toBe('56988a13' + '7ad0436a');
  });
});
