/**
 * `npm run demo`: the system end to end on its embedded defaults, with nothing else running.
 * Each step prints what it does; the run ends with a summary table and cleans up after itself.
 *
 * Today's demo covers what has landed: the virtual SE as a contactless card on a vpcd link, a
 * GlobalPlatform host installing a package into it over SCP03 block by block, the registry, the
 * card manager record, and deletion. Steps for the platform download, the emulated board and the
 * POS flows are added as those parts land.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toHex } from '../firmware/src/core/hex';
import { CM_RECORD_LEN } from '../firmware/src/core/se/card-manager';
import { GpSession } from '../host/gp/gp-session';
import { sameKeyForAll } from '../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../host/gp/load-file';
import { DEV_ISD_KEY, SeCardDevice, openStateDir } from '../host/se/virtual-se';
import { VpcdCardClient } from '../host/vpcd/vpcd-card-client';
import { VpcdReader } from '../host/vpcd/vpcd-reader';
import { fromHex } from '../firmware/src/core/hex';
import { EXIT } from './exit-codes';
import { demoPackages } from './demo-packages';

const HELP = `usage: tapcard demo [--keep DIR]

Runs tapcard end to end on its embedded defaults and exits 0 on success:
  1. boots a virtual secure element (state in a temporary directory)
  2. puts it in the field of a vpcd reader (the POS side of the RF link)
  3. opens SCP03 with the SE's issuer security domain (development key 4041..4F)
  4. installs the card packages block by block, with progress
  5. lists the SE's registry and the card managers' service records
  6. deletes one card again
  --keep DIR   keep the SE state in DIR instead of a temporary directory`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { keep: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const started = Date.now();
  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-demo-'));
  const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
  const reader = new VpcdReader();
  let client: VpcdCardClient | null = null;
  try {
    step(1, `booting the secure element (state in ${dir})`);
    const se = openStateDir(dir);
    console.log(`    SE serial ${toHex(se.serial)}, ${se.slots.length} smart card slots, store ${se.store.freeBytes()} bytes free`);

    step(2, 'tapping the SE onto a vpcd reader');
    const port = await reader.listen(0);
    client = new VpcdCardClient({ host: '127.0.0.1', port, card: new SeCardDevice(se) });
    client.start();
    await reader.waitForCard(5000);
    console.log(`    card in the field of 127.0.0.1:${port}, ATR ${toHex(await reader.powerOn()).toUpperCase()}`);

    step(3, 'opening SCP03 with the issuer security domain (security level 33: C-DEC, C-MAC, R-ENC, R-MAC)');
    const gp = new GpSession(reader.transmit);
    await gp.selectIsd();
    const sc = await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: 0x33 });
    console.log(`    key set ${sc.kvn.toString(16)}, i=${sc.i.toString(16)}, sequence counter ${sc.sequenceCounter}`);

    step(4, 'installing the card packages block by block');
    const rows: string[][] = [];
    for (const pkg of demoPackages()) {
      const file = parseLoadFile(pkg.loadFile);
      const result = await gp.install(file, {
        parser: tapcardPackageHeader,
        instanceAid: pkg.instanceAid,
        params: pkg.params,
        onProgress: (p) => {
          // A progress line redrawn in place on a terminal; only the final count in a log.
          if (process.stdout.isTTY) process.stdout.write(`\r    ${pkg.name.padEnd(10)} block ${String(p.block).padStart(3)}/${p.blocks}  ${p.bytes}/${p.totalBytes} bytes`);
          else if (p.block === p.blocks) process.stdout.write(`    ${pkg.name.padEnd(10)} ${p.blocks} LOAD blocks, ${p.totalBytes} bytes`);
        },
      });
      process.stdout.write('\n');
      rows.push([pkg.name, result.instanceAid, String(file.bytes.length), String(result.blocks)]);
    }

    step(5, 'the SE registry (GET STATUS) and the card managers');
    const registry = await gp.list();
    for (const a of registry.apps) console.log(`    APP ${a.aid} ${a.lifeCycleName} from ${a.loadFile}`);
    for (const f of registry.loadFiles) console.log(`    PKG ${f.aid} v${f.version} modules ${f.modules?.join(',')}`);
    for (const slot of se.slots) {
      const has = se.cardManager.load(slot.index);
      console.log(`    slot ${slot.index}: ${has ? `card manager record ${toHex(se.cardManager.record, 0, CM_RECORD_LEN).slice(0, 36)}...` : 'free'}`);
    }

    step(6, `deleting ${rows[rows.length - 1][0]} again`);
    await gp.delete(fromHex(demoPackages()[rows.length - 1].packageAid), true);
    const after = await gp.list();
    console.log(`    ${after.apps.length} applications remain; store check: ${se.store.check().ok ? 'consistent' : 'PROBLEMS'}`);

    console.log('\nsummary');
    console.log('  card        instance AID                      bytes  LOAD blocks');
    for (const r of rows) console.log(`  ${r[0].padEnd(10)}  ${r[1].padEnd(32)}  ${r[2].padStart(5)}  ${r[3].padStart(11)}`);
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.OK;
  } catch (e) {
    console.error(`\ndemo failed: ${(e as Error).message}`);
    return EXIT.FAILURE;
  } finally {
    await client?.stop();
    await reader.close();
    if (values.keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}
