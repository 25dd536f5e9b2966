/**
 * The scripted SE session (GP SCP03 install of a transit package, a PBOC load and a
 * purchase, a reboot) gives the same responses and the same flash image on the Lua build as on
 * Node, under fengari (32-bit integers, like NodeMCU) and Debian's lua5.3 (64-bit integers).
 * The responses are recorded from the Node run (se-session.ts); Lua replays its commands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireDebian } from '../helpers/skip';
import { coreBundle, luaString, runFengari, runLua53, SNIPPET_HELPERS } from './harness';
import { recordSession, sessionLines, type SessionRecord } from './se-session';

const RUNNER = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'se-session.lua'), 'utf8');
const SKIP_LUA53 = requireDebian('SE session under lua5.3', ['lua5.3']);

function snippet(record: SessionRecord): string {
  const phases = record.phases.map((phase) => `  { ${phase.map((s) => luaString(s.command)).join(', ')} },`);
  return `${SNIPPET_HELPERS}local PHASES = {\n${phases.join('\n')}\n}\n${RUNNER}`;
}

describe('scripted SE session on the Lua build', () => {
  let record: SessionRecord;
  let expected: string[];
  let labels: string[];

  beforeAll(async () => {
    record = await recordSession();
    expected = sessionLines(record);
    labels = record.phases.flatMap((phase) => phase.map((s) => `${s.label}: ${s.command}`));
    coreBundle();
  }, 300_000);

  /** Compares line by line so a failure names the command whose response differs. */
  function expectSameAsNode(output: string): void {
    const lines = output.trimEnd().split('\n');
    for (let i = 0; i < labels.length; i++) expect(lines[i], labels[i]).toBe(expected[i]);
    expect(lines.slice(labels.length), 'flash image after the session').toEqual(expected.slice(labels.length));
  }

  it('Node installs the package over SCP03, loads 50.00 and spends 2.00 (the session is worth comparing)', () => {
    const [session, afterReboot] = record.phases;
    const sw = (label: string) => session.filter((s) => s.label === label).map((s) => s.response.slice(-4));
    expect(sw('SELECT ISD')).toEqual(['9000']);
    expect(sw('SCP03 open (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE)')).toEqual(['9000', '9000']);
    const install = sw('INSTALL [for load], LOAD, INSTALL [for install and make selectable]');
    expect(install.length).toBeGreaterThan(3); // INSTALL, LOAD x n (n > 1), INSTALL
    expect(install.every((s) => s === '9000')).toBe(true);
    const status = session.filter((s) => s.label === 'GET STATUS');
    expect(status.some((s) => s.response.endsWith('9000'))).toBe(true);
    const at = (label: string) => session.find((s) => s.label === label)!.response;
    for (const l of ['SELECT transit', 'INITIALIZE FOR LOAD', 'INITIALIZE FOR PURCHASE']) expect(at(l).slice(-4), l).toBe('9000');
    // The card's TAC and MAC2 are the ones the issuer and the PSAM compute from the master keys.
    expect(at('CREDIT FOR LOAD')).toBe(record.loadTac + '9000');
    expect(at('DEBIT FOR PURCHASE')).toBe(record.purchaseProof + '9000');
    // Balances: 0 before, 48.00 (0x12c0 fen) after, and the same after a reboot from flash.
    const balances = session.filter((s) => s.label === 'GET BALANCE').map((s) => s.response);
    expect(balances).toEqual(['000000009000', '000012c09000']);
    expect(afterReboot.map((s) => s.response.slice(-4))).toEqual(['9000', '9000', '9000']);
    expect(afterReboot[1].response).toBe('000012c09000');
    expect(afterReboot[2].response).toBe(at('READ RECORD 1 (SFI 18)'));
    expect(expected.filter((l) => l.startsWith('page ') && !l.endsWith(' blank')).length).toBeGreaterThan(0);
  });

  it('fengari (32-bit integers, as NodeMCU) answers every command as Node and writes the same flash', () => {
    const run = runFengari(coreBundle(), snippet(record));
    expect(run.error).toBeUndefined();
    expectSameAsNode(run.output);
  }, 600_000);

  it.skipIf(SKIP_LUA53)('lua5.3 (64-bit integers) answers every command as Node and writes the same flash', () => {
    const run = runLua53(coreBundle(), snippet(record))!;
    expect(run.error).toBeUndefined();
    expectSameAsNode(run.output);
  }, 300_000);
});
