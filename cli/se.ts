/**
 * `tapcard se serve`: the SE core as a contactless card on a vpcd-protocol reader (pcscd with
 * vsmartcard-vpcd, or pos-sim / `tapcard gp --vpcd-listen`). State persists in --state DIR.
 */
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../firmware/src/core/hex';
import { swText } from '../firmware/src/core/sw';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { STORE_CORRUPT } from '../firmware/src/core/store/store';
import { DEV_ISD_KEY, STATE_FILE, SeCardDevice, openStateDir } from '../host/se/virtual-se';
import { VpcdCardClient } from '../host/vpcd/vpcd-card-client';
import { EXIT } from '../contracts/exit-codes';

const HELP = `usage: tapcard se serve --vpcd HOST:PORT --state DIR [--isd-key HEX] [--verbose]

Connects the virtual secure element, as a contactless card, to a reader speaking the vpcd
protocol (pcscd + vsmartcard-vpcd listens on 35963; 'tapcard gp --vpcd-listen PORT' and pos-sim
can listen too). Reconnects when the reader goes away and comes back. Ctrl-C stops.

  --vpcd HOST:PORT   reader to connect to (default 127.0.0.1:35963)
  --state DIR        where the SE keeps its flash image and serial (created if missing)
  --isd-key HEX      ISD key (K-ENC = K-MAC = K-DEK, KVN 30) written at first boot;
                     default ${DEV_ISD_KEY.toUpperCase()} (development only)
  --verbose          log every APDU (never keys: they stay inside the SE)

A flash image with damage a power cut cannot explain (flipped bits, overwritten bytes) is refused
with exit code ${EXIT.CORRUPT}, unchanged: restore a copy, or move it away to start a fresh SE.
`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        vpcd: { type: 'string', default: '127.0.0.1:35963' },
        state: { type: 'string' },
        'isd-key': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    console.error(`tapcard se: ${(e as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  if (positionals[0] !== 'serve' || !values.state) {
    console.error(HELP);
    return EXIT.USAGE;
  }
  const m = /^(.+):(\d+)$/.exec(values.vpcd!);
  if (!m) {
    console.error(`tapcard se: --vpcd must be HOST:PORT, got '${values.vpcd}'`);
    return EXIT.USAGE;
  }
  let isdKey: Uint8Array | undefined;
  if (values['isd-key'] !== undefined) {
    try {
      isdKey = fromHex(values['isd-key']);
    } catch (e) {
      console.error(`tapcard se: --isd-key: ${(e as Error).message}`);
      return EXIT.USAGE;
    }
    if (isdKey.length !== 16 && isdKey.length !== 24 && isdKey.length !== 32) {
      console.error(`tapcard se: --isd-key must be 16, 24 or 32 bytes, got ${isdKey.length}`);
      return EXIT.USAGE;
    }
  }
  if (existsSync(values.state) && !statSync(values.state).isDirectory()) {
    console.error(`tapcard se: --state ${values.state}: not a directory`);
    return EXIT.USAGE;
  }
  let se;
  try {
    se = openStateDir(values.state, { isdKey });
  } catch (e) {
    const message = (e as Error).message;
    if (!message.startsWith(STORE_CORRUPT)) throw e;
    const image = path.join(values.state, STATE_FILE);
    console.error(`tapcard se: ${image} is corrupt (${message.slice(STORE_CORRUPT.length)}); refusing to start, the image is unchanged`);
    return EXIT.CORRUPT;
  }
  const card = new SeCardDevice(se);
  const client = new VpcdCardClient({ host: m[1], port: Number(m[2]), card });
  client.on('connect', (ep) => console.log(`se: in the field of ${ep.host}:${ep.port}`));
  client.on('disconnect', (why) => console.log(`se: out of the field (${why}), reconnecting`));
  client.on('warning', (e) => console.error(`se: warning: ${e.message}`));
  if (values.verbose) {
    client.on('apdu', (c, r) => {
      const sw = (r[r.length - 2] << 8) | r[r.length - 1];
      console.log(`se: > ${toHex(c)}\nse: < ${toHex(r)} (${swText(sw)})`);
    });
  }
  console.log(`se: serial ${toHex(se.serial)}, state in ${values.state}`);
  client.start();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await client.stop();
  console.log('se: stopped');
  return EXIT.OK;
}
