/**
 * `npm run demo`: tapcard end to end on its embedded defaults, with nothing else running.
 * Every step says what it does; the run ends with a summary table and removes what it created.
 *
 *   service platform (embedded MQTT broker, SQLite, issuers) -> device provisioning (CA, SE keys)
 *   -> the firmware bundle on the emulated board (MCU + SE + PN532) on MQTT -> over-the-air downloads of a transit, an e-cash and a loyalty
 *   card -> POS taps over the RF link (vpcd): recharge paid by third-party payment (second
 *   terminal), transit debit (first), bank deposit (third), merchant points (fourth)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../host/emulator/emulator';
import { attachFlows } from '../platform-server/src/flows/flows';
import { TRANSIT_APPLICATION_ID } from '../parties/transit-issuer';
import { getJob } from '../platform-server/src/flows/jobs';
import { openAccount } from '../parties/accounts';
import { issuePayerCode } from '../parties/payer-authorisation';
import { ECASH_APPLICATION_ID } from '../parties/bank-server';
import { LOYALTY_APPLICATION_ID } from '../parties/merchant-server';
import { createLog } from '../platform-server/src/log';
import { Platform, initPlatform } from '../platform-server/src/platform-home';
import { provisionDevice } from '../platform-server/src/provision';
import { startPlatform } from '../platform-server/src/server';
import { registerTerminal, type TerminalRole } from '../platform-server/src/terminals/credentials';
import type { Reconciliation } from '../platform-server/src/terminals/reconciliation';
import { terminalApi } from '../platform-server/src/terminals/terminal-api';
import { issuerAdapters } from '../platform-server/src/terminals/terminal-services';
import { BankPos } from '../pos-sim/src/bank/bank-pos';
import { LoyaltyPos } from '../pos-sim/src/loyalty/loyalty-pos';
import { OnlineSecurityModule } from '../pos-sim/src/online/online-security-module';
import { PlatformClient, type PlatformEndpoint } from '../pos-sim/src/online/platform-client';
import { rechargeWithThirdParty } from '../pos-sim/src/online/third-party-recharge';
import { MemoryJournal } from '../pos-sim/src/purse/journal';
import { TransitPos } from '../pos-sim/src/purse/transit-pos';
import { DirectReader } from '../pos-sim/src/reader/direct-reader';
import { buildFirmware } from '../tools/firmware/build-firmware';
import { EXIT } from '../contracts/exit-codes';
import { runCommand } from './command';
import { startSimulatedParties } from './simulated-parties';

const HELP = `usage: tapcard demo [--keep DIR] [--verbose]

Runs tapcard end to end on its embedded defaults and exits 0 on success:
  1. starts the service platform: embedded MQTT broker (aedes), SQLite, CA, and the in-process
     transit, bank, merchant and third-party payment servers
  2. provisions a device: certificate, SE serial, diversified ISD keys, link keys
  3. builds the Espruino firmware bundle and boots it on the emulated ESP32 + PN532 board,
     which connects to the platform over MQTT
  4. downloads a transit, a bank e-cash and a loyalty card over the air (permission, SCP03,
     LOAD block by block, install) with progress
  5. taps the terminal on POS readers over the vpcd RF link, each terminal online through the
     platform: recharge 50.00 paid by third-party payment, transit debit 2.00, bank deposit
     30.00, merchant points for a 128.50 purchase
  6. reconciles the transit ledger against the card's TACs, prints a summary, cleans up
  --keep DIR   keep platform and terminal state in DIR instead of a temporary directory
  --verbose    print the platform's log lines (keys never appear in them)`;

const yuan = (fen: number): string => (fen / 100).toFixed(2);

/** Polls cond() every 100 ms until it holds or limitMs passes. */
async function until(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const OPTIONS = { keep: { type: 'string' }, verbose: { type: 'boolean', default: false } } as const;

export function run(argv: string[]): Promise<number> {
  return runCommand({ name: 'demo', help: HELP, options: OPTIONS }, argv, (values) => demo(values.keep, values.verbose));
}

async function demo(keep: string | undefined, verbose: boolean): Promise<number> {
  const started = Date.now();
  const root = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-demo-'));
  const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
  const log = createLog((line) => verbose && console.error(line), 'text');
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    step(1, 'starting the service platform (embedded MQTT broker, SQLite, issuer servers)');
    const dataDir = path.join(root, 'platform');
    await initPlatform(dataDir, { name: 'tapcard demo' });
    const platform = Platform.open(dataDir);
    cleanups.push(() => platform.close());
    const { services, parties, close: closeParties } = startSimulatedParties(platform);
    cleanups.push(closeParties);
    const running = await startPlatform(platform, { mqttPort: 0, httpPort: 0, log, httpRoutes: [terminalApi(services, log)] });
    cleanups.push(() => running.close());
    const dpu = attachFlows(platform, running.link, log, { issuers: issuerAdapters(services) });
    cleanups.push(() => dpu.close());
    console.log(`    broker ${running.mqtt.url}, HTTP ${running.httpUrl}, data in ${dataDir}`);

    step(2, 'provisioning device demo-phone (certificate, SE serial, diversified ISD keys, link keys)');
    const { bundle, summary } = await provisionDevice(platform, { deviceId: 'demo-phone', brokerUrl: running.mqtt.url });
    console.log(`    SE serial ${summary.seSerial}, ISD key check values ENC ${summary.kcv.isdEnc} MAC ${summary.kcv.isdMac} DEK ${summary.kcv.isdDek}`);

    step(3, 'building the firmware bundle and booting it on the emulated board (ESP32 + PN532, Espruino API)');
    const firmwareFile = path.join(root, 'espruino.js');
    const built = await buildFirmware({ outFile: firmwareFile });
    if (!built.ok) throw new Error(`firmware build failed: ${built.problems.join('; ')}`);
    console.log(`    ${firmwareFile}: ${built.bytes} bytes (limit 98304)`);
    const provisionFile = path.join(root, 'demo-phone.provision.json');
    fs.writeFileSync(provisionFile, JSON.stringify(bundle), { mode: 0o600 });
    // The POS reader listens first: the board's PN532 taps it as soon as it is in the field.
    const reader = await DirectReader.listen(0);
    cleanups.push(() => reader.close());
    const emulator = await startEmulator({
      stateDir: path.join(root, 'board'),
      provisionFile,
      firmwareFile,
      broker: running.mqtt.url,
      vpcd: { host: '127.0.0.1', port: reader.boundPort },
    });
    cleanups.push(() => emulator.stop());
    const board = emulator.board;
    let consoleText = '';
    board.on('output', (t: string) => (consoleText += t));
    const onConsole = (expr: string): string => {
      consoleText = '';
      board.evaluate(expr);
      return consoleText;
    };
    await until(() => /link: \S+ as demo-phone, online/.test(onConsole('status()')), 'the board to come online on the platform broker');
    console.log(`    ${onConsole('status()').split(/\r?\n/).filter((l) => /SE|link|PN532/.test(l)).map((l) => l.trim()).join('\n    ')}`);

    step(4, 'downloading three cards over the air');
    for (const app of [TRANSIT_APPLICATION_ID, ECASH_APPLICATION_ID, LOYALTY_APPLICATION_ID]) {
      const job = dpu.requestDownload('demo-phone', app, 'demo');
      const progress = setInterval(() => {
        const j = getJob(platform.db, job.id);
        if (process.stdout.isTTY && j && j.total_blocks !== null) process.stdout.write(`\r    ${app.padEnd(8)} ${j.state.padEnd(10)} block ${j.acked_block + 1}/${j.total_blocks}`);
      }, 100);
      const done = await dpu.waitFor(job.id).finally(() => clearInterval(progress));
      if (process.stdout.isTTY) process.stdout.write('\r');
      if (done.state !== 'done') throw new Error(`download of ${app} ended ${done.state}: ${done.error}`);
      console.log(`    ${app.padEnd(8)} installed: ${done.total_blocks} LOAD blocks relayed through the MCU (job ${done.id.slice(0, 8)})`);
    }
    const installed = platform.db.prepare('SELECT application_id AS app, card_number AS number FROM installations').all() as { app: string; number: string }[];
    const numberOf = (app: string): string => installed.find((i) => i.app === app)?.number ?? '?';
    console.log(`    the board's card managers:\n    ${onConsole('cards()').trim().split(/\r?\n/).map((l) => l.trim()).join('\n    ')}`);

    step(5, 'tapping the board on the POS readers (PN532 card emulation -> ISO 14443-4 over the vpcd link), online through the platform');
    const endpoint = (id: string, role: TerminalRole): PlatformEndpoint => ({ url: running.httpUrl, terminalId: id, terminalKey: registerTerminal(platform.db, id, role) });
    const first = endpoint('first-terminal', 'transit');
    const second = endpoint('second-terminal', 'transit-payment');
    const third = endpoint('third-terminal', 'bank');
    const fourth = endpoint('fourth-terminal', 'merchant');
    parties.payments.openAccount('alice', 'Alice (payment account)', 100_00);
    openAccount(parties.db, 'bank', 'alice-bank', 'Alice (bank account)', 100_00);
    const journal = new MemoryJournal();
    const rows: string[][] = [];

    // Alice's payment app shows a one-use payment code; the till charges her account with it.
    const aliceCode = issuePayerCode(parties.db, 'payment', 'alice', 50_00).code;
    const paid = await rechargeWithThirdParty({ reader, client: new PlatformClient(second), journal, idempotencyKey: `demo-${Date.now()}`, accountId: 'alice', payerCode: aliceCode, amount: 50_00 });
    const load = paid.transaction!;
    console.log(`    second terminal: recharge 50.00 paid by third-party (order ${paid.order.idempotencyKey}): ${yuan(load.balanceBefore)} -> ${yuan(load.balanceAfter)}, TAC ${load.tac}`);
    rows.push(['second + payment', 'transit recharge', load.cardNumber, yuan(load.amount), yuan(load.balanceAfter), load.tac]);

    const debit = await new TransitPos({ reader, securityModule: new OnlineSecurityModule(new PlatformClient(first), 'transit'), journal }).debit(2_00);
    console.log(`    first terminal: transit debit 2.00: ${yuan(debit.balanceBefore)} -> ${yuan(debit.balanceAfter)}, TAC ${debit.tac}`);
    rows.push(['first', 'transit debit', debit.cardNumber, yuan(debit.amount), yuan(debit.balanceAfter), debit.tac]);

    const bankCode = issuePayerCode(parties.db, 'bank', 'alice-bank', 30_00).code;
    const deposit = await new BankPos({ reader, client: new PlatformClient(third), journal }).deposit(30_00, 'alice-bank', bankCode);
    console.log(`    third terminal: bank deposit 30.00 from the bank account: ${yuan(deposit.balanceBefore)} -> ${yuan(deposit.balanceAfter)}, TAC ${deposit.tac}`);
    rows.push(['third', 'bank deposit', deposit.cardNumber, yuan(deposit.amount), yuan(deposit.balanceAfter), deposit.tac]);

    const earn = await new LoyaltyPos({ reader, client: new PlatformClient(fourth) }).earn(128_50);
    console.log(`    fourth terminal: points for a 128.50 purchase: ${earn.pointsBefore} -> ${earn.pointsAfter} points, receipt ${earn.receipt}`);
    rows.push(['fourth', 'merchant earn', earn.cardNumber, `${earn.value} pt`, `${earn.pointsAfter} pt`, earn.receipt]);

    step(6, 'reconciling the transit ledger against the card');
    const rec = await new PlatformClient(first).get<Reconciliation>(`/v1/terminal/transit/cards/${numberOf(TRANSIT_APPLICATION_ID)}/reconciliation?balance=${debit.balanceAfter}`);
    console.log(`    ledger settled balance ${yuan(rec.settledBalance)}, card ${yuan(rec.cardBalance ?? -1)}, ${rec.entries.length} TACs verified, ${rec.mismatches.length === 0 ? 'no mismatches' : `MISMATCHES: ${rec.mismatches.join('; ')}`}`);
    if (rec.mismatches.length !== 0) throw new Error('the transit ledger does not reconcile with the card');
    console.log(`    the board's card managers after the taps (balance() on its console):\n    ${onConsole('balance()').trim().split(/\r?\n/).map((l) => l.trim()).join('\n    ')}`);

    console.log('\nsummary');
    const head = ['terminal', 'business', 'card', 'amount', 'after', 'TAC / receipt'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => '  ' + r.map((c, i) => (i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.OK;
  } catch (e) {
    console.error(`\ndemo failed: ${(e as Error).stack ?? e}`);
    return EXIT.FAILURE;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (keep === undefined) fs.rmSync(root, { recursive: true, force: true });
  }
}
