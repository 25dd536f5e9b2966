/**
 * `tapcard se serve`: the SE core as a contactless card on a vpcd-protocol reader (pcscd with
 * vsmartcard-vpcd, or pos-sim / `tapcard gp --vpcd-listen`). State persists in --state DIR.
 */
import { fromHex, toHex } from '../firmware/src/core/hex';
import { swText } from '../firmware/src/core/sw';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { STORE_CORRUPT } from '../firmware/src/core/store/store';
import { DEV_ISD_KEY, STATE_FILE, SeCardDevice, openStateDir } from '../host/se/virtual-se';
import { VpcdCardClient } from '../host/vpcd/vpcd-card-client';
import { EXIT } from '../contracts/exit-codes';
import { hostPortOption, runCommand, runSubcommand, UsageError } from './command';

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

const SERVE_OPTIONS = {
  vpcd: { type: 'string', default: '127.0.0.1:35963' },
  state: { type: 'string' },
  'isd-key': { type: 'string' },
  verbose: { type: 'boolean', default: false },
} as const;

export function run(argv: string[]): Promise<number> {
  return runSubcommand('se', HELP, { serve }, argv);
}

function serve(argv: string[]): Promise<number> {
  return runCommand({ name: 'se serve', help: HELP, options: SERVE_OPTIONS }, argv, async (values) => {
    if (values.state === undefined) throw new UsageError('--state DIR is required');
    const vpcd = hostPortOption('vpcd', values.vpcd);
    const isdKey = values['isd-key'] === undefined ? undefined : isdKeyOption(values['isd-key']);
    if (existsSync(values.state) && !statSync(values.state).isDirectory()) throw new UsageError(`--state ${values.state}: not a directory`);
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
    const client = new VpcdCardClient({ ...vpcd, card });
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
  });
}

function isdKeyOption(text: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = fromHex(text);
  } catch (e) {
    throw new UsageError(`--isd-key: ${(e as Error).message}`);
  }
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new UsageError(`--isd-key must be 16, 24 or 32 bytes, got ${key.length}`);
  return key;
}
