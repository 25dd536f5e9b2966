/**
 * `npm run demo`: tapcard end to end on its embedded defaults, with nothing else running.
 * Every step says what it does; the run ends with a summary table and removes what it created.
 *
 *   service platform (embedded MQTT broker, SQLite) -> device provisioning (CA, SE keys)
 *   -> terminal (MCU + SE) on MQTT -> over-the-air downloads (permission, SCP03, LOAD blocks)
 *   -> POS reader taps the terminal over the RF link (vpcd): recharge, debit
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toHex } from '../firmware/src/core/hex';
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../firmware/src/core/se/package-header';
import { attachFlows } from '../platform-server/src/flows/flows';
import { getJob } from '../platform-server/src/flows/jobs';
import { createLog } from '../platform-server/src/log';
import { Platform, initPlatform } from '../platform-server/src/platform-home';
import { provisionDevice } from '../platform-server/src/provision';
import { startPlatform } from '../platform-server/src/server';
import { SeCardDevice } from '../host/se/virtual-se';
import { Terminal } from '../host/terminal/terminal';
import { VpcdCardClient } from '../host/vpcd/vpcd-card-client';
import { DevKeysSecurityModule } from '../pos-sim/src/purse/dev-keys-security-module';
import { TransitPos, type TransactionResult } from '../pos-sim/src/purse/transit-pos';
import { DirectReader } from '../pos-sim/src/reader/direct-reader';
import { EXIT } from './exit-codes';

const HELP = `usage: tapcard demo [--keep DIR] [--verbose]

Runs tapcard end to end on its embedded defaults and exits 0 on success:
  1. starts the service platform: embedded MQTT broker (aedes), SQLite, CA
  2. provisions a device: certificate, SE serial, diversified ISD keys, link keys
  3. boots the terminal (main control unit + secure element) and connects it over MQTT
  4. downloads a transit card over the air: permission, SCP03, LOAD block by block, install
  5. taps the terminal on a POS reader (vpcd RF link): recharge 50.00, then debit 2.00
  6. prints a summary table and cleans up
  --keep DIR   keep platform and terminal state in DIR instead of a temporary directory
  --verbose    print the platform's log lines (keys never appear in them)`;

const yuan = (fen: number): string => (fen / 100).toFixed(2);
const APP_NAMES: Record<number, string> = { [APP_CLASS_TRANSIT]: 'transit card', [APP_CLASS_ECASH]: 'bank e-cash card', [APP_CLASS_LOYALTY]: 'loyalty card' };

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, options: { keep: { type: 'string' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    console.error(`tapcard demo: ${(e as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const started = Date.now();
  const root = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-demo-'));
  const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
  const log = createLog((line) => values.verbose && console.error(line), 'text');
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    step(1, 'starting the service platform (embedded MQTT broker, SQLite)');
    const dataDir = path.join(root, 'platform');
    await initPlatform(dataDir, { name: 'tapcard demo' });
    const platform = Platform.open(dataDir);
    cleanups.push(() => platform.close());
    const running = await startPlatform(platform, { mqttPort: 0, httpPort: 0, log });
    cleanups.push(() => running.close());
    const dpu = attachFlows(platform, running.link, log);
    cleanups.push(() => dpu.close());
    console.log(`    broker ${running.mqtt.url}, HTTP ${running.httpUrl}, data in ${dataDir}`);

    step(2, 'provisioning device demo-phone (certificate, SE serial, diversified ISD keys, link keys)');
    const { bundle, summary } = await provisionDevice(platform, { deviceId: 'demo-phone', brokerUrl: running.mqtt.url });
    console.log(`    SE serial ${summary.seSerial}, ISD key check values ENC ${summary.kcv.isdEnc} MAC ${summary.kcv.isdMac} DEK ${summary.kcv.isdDek}`);

    step(3, 'booting the terminal: main control unit + secure element, MQTT link to the platform');
    const terminal = await Terminal.start({ bundle, stateDir: path.join(root, 'terminal') });
    cleanups.push(() => terminal.close());
    console.log(`    SE ${toHex(terminal.se.serial)}: ${terminal.se.slots.length} smart card slots, store ${terminal.se.store.freeBytes()} bytes free`);

    step(4, 'downloading a transit card over the air');
    const job = dpu.requestDownload('demo-phone', 'transit', 'demo');
    const progress = setInterval(() => {
      const j = getJob(platform.db, job.id);
      if (!j || j.total_blocks === null) return;
      const line = `    ${j.state.padEnd(10)} block ${j.acked_block + 1}/${j.total_blocks}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
    }, 100);
    const done = await dpu.waitFor(job.id).finally(() => clearInterval(progress));
    if (process.stdout.isTTY) process.stdout.write('\n');
    if (done.state !== 'done') throw new Error(`download ${job.id} ended ${done.state}: ${done.error}`);
    console.log(`    job ${done.id}: ${done.total_blocks} LOAD blocks relayed, card installed`);
    const cards = terminal.cards();
    for (const c of cards) console.log(`    slot ${c.slot}: ${APP_NAMES[c.cardManager?.appClass ?? -1] ?? 'card'} ${c.cardManager?.cardNumber ?? ''}, balance ${yuan(c.cardManager?.balance ?? 0)}`);

    step(5, 'tapping the terminal on the POS reader (ISO 14443-4 over the vpcd link)');
    const reader = await DirectReader.listen(0);
    cleanups.push(() => reader.close());
    const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.boundPort, card: new SeCardDevice(terminal.se) });
    client.start();
    cleanups.push(() => client.stop());
    const pos = new TransitPos({ reader, securityModule: new DevKeysSecurityModule() });
    const taps: TransactionResult[] = [];
    taps.push(await pos.recharge(5000));
    console.log(`    recharge 50.00: balance ${yuan(taps[0].balanceBefore)} -> ${yuan(taps[0].balanceAfter)}, TAC ${taps[0].tac}`);
    taps.push(await pos.debit(200));
    console.log(`    debit 2.00:     balance ${yuan(taps[1].balanceBefore)} -> ${yuan(taps[1].balanceAfter)}, TAC ${taps[1].tac}`);
    const after = terminal.cards().find((c) => c.cardManager?.cardNumber === taps[1].cardNumber);
    console.log(`    card manager record agrees: balance ${yuan(after?.cardManager?.balance ?? -1)}`);

    console.log('\nsummary');
    console.log('  step                 card               amount   balance after  TAC');
    for (const t of taps) {
      const what = t.kind === 'load' ? 'transit recharge' : 'transit debit';
      console.log(`  ${what.padEnd(19)}  ${t.cardNumber.padEnd(17)}  ${yuan(t.amount).padStart(6)}  ${yuan(t.balanceAfter).padStart(13)}  ${t.tac}`);
    }
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.OK;
  } catch (e) {
    console.error(`\ndemo failed: ${(e as Error).stack ?? e}`);
    return EXIT.FAILURE;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (values.keep === undefined) fs.rmSync(root, { recursive: true, force: true });
  }
}
