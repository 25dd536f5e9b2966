/**
 * pos-sim in PC/SC mode: `tapcard se serve` (a child process, its state directory holding
 * a transit card) is the card in pcscd's vsmartcard-vpcd slot; `tapcard pos --reader pcsc:...`
 * recharges 50.00 and debits 2.00 through libpcsclite, and pcsc-tools' scriptor reads the balance
 * from the same card with plain APDUs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../contracts/exit-codes';
import type { PcscdLease } from '../helpers/pcsc';
import { runScriptor } from '../helpers/pcsc-tools';
import { serveSeInPcscd, type ServedSe } from '../helpers/se-serve';
import { requireDebian } from '../helpers/skip';
import { runPos } from './_cli';
import { CARD_NUMBER, TRANSIT_APP_AID, transitStateDir } from './_transit-se';

const SUITE = 'tapcard pos through pcscd + vsmartcard-vpcd';
const missing = requireDebian(SUITE, ['pcscd', 'vsmartcard-vpcd', 'libpcsclite-dev', 'pcsc-tools'], { root: true });

describe.skipIf(missing)(SUITE, () => {
  let served: ServedSe;
  let lease: PcscdLease;
  let dir: string;
  const output = (): string => served.output();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-pos-pcsc-'));
    await transitStateDir(path.join(dir, 'se'));
    served = await serveSeInPcscd(path.join(dir, 'se'));
    lease = served.lease;
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recharges 50.00 and debits 2.00 through PC/SC: balance 48.00, log shows both', async () => {
    const reader = `pcsc:${lease.pcscd.readerName}`;
    const journal = path.join(dir, 'journal.json');
    const common = ['--reader', reader, '--journal', journal, '--dev-keys', '--json'];
    const load = await runPos(['tap', '--flow', 'transit-recharge', '--amount', '50.00', ...common]);
    expect(load.code, load.stderr + output()).toBe(EXIT.OK);
    expect(JSON.parse(load.stdout)).toMatchObject({ kind: 'load', reader: lease.pcscd.readerName, aid: TRANSIT_APP_AID, balanceBefore: 0, balanceAfter: 5000 });

    const debit = await runPos(['tap', '--flow', 'transit-debit', '--amount', '2.00', ...common]);
    expect(debit.code, debit.stderr + output()).toBe(EXIT.OK);
    expect(JSON.parse(debit.stdout)).toMatchObject({ kind: 'purchase', cardNumber: CARD_NUMBER, balanceBefore: 5000, balanceAfter: 4800 });

    const read = await runPos(['read', '--reader', reader, '--journal', journal, '--json']);
    expect(read.code, read.stderr).toBe(EXIT.OK);
    const r = JSON.parse(read.stdout);
    expect(r).toMatchObject({ cardNumber: CARD_NUMBER, balance: 4800 });
    expect(r.atr).toBe('3B8A8001544150434152442D534561');
    expect(r.log.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([['purchase', 200], ['load', 5000]]);
  });

  it('scriptor reads the transit balance: SELECT the transit AID, GET BALANCE 80 5C 00 02 04', async () => {
    const ex = await runScriptor(['00 A4 04 00 08 A0 00 00 06 32 01 01 05 00', '80 5C 00 02 04']);
    expect(ex[0].sw).toBe('9000');
    expect(ex[0].response).toContain(CARD_NUMBER);
    expect(ex[1].response).toBe('000012c09000'); // 4800 fen = 48.00
  });
});
