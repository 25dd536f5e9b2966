/**
 * `tapcard emulate`: the ESP32 + PN532 board on the host, running the exact firmware bundle
 * (host/emulator; docs/board.md "Emulator").
 */
import path from 'node:path';
import { DEFAULT_BUNDLE } from '../tools/firmware/build-firmware';
import { EmulatorSetupError, startEmulator } from '../host/emulator/emulator';
import { SerialSpecError } from '../host/emulator/serial-console';
import { EXIT } from '../contracts/exit-codes';
import { hostPortOption, runCommand, UsageError } from './command';

const HELP = `usage: tapcard emulate --state DIR [--provision FILE] [--vpcd HOST:PORT] [--broker URL]
                       [--serial tcp://HOST:PORT|pty] [--firmware FILE|none] [--quiet] [--json]

Runs dist/firmware/espruino.js in an Espruino-API-compatible emulator (node:vm; not the real
interpreter) with a virtual PN532 on I2C1, Storage kept in DIR, and the board's console on a
serial endpoint. Ctrl-C powers the board off.

  --state DIR          board state: Storage (flash) contents and serial number; created if missing
  --provision FILE     provisioning bundle ('tapcard platform provision') stored as tapcard.prov
  --vpcd HOST:PORT     reader to be tapped by: pcscd's vsmartcard-vpcd (127.0.0.1:35963) or
                       pos-sim / 'tapcard gp --vpcd-listen PORT'; the board enters the field once
                       its PN532 is emulating a card
  --broker URL         platform broker (mqtt://HOST:PORT) written into the provisioning bundle
  --serial SPEC        the console: tcp://HOST:PORT (PORT 0 = any) or pty (a pseudo-terminal at
                       DIR/tty); 'tapcard flash --port' and 'espruino -p' connect to it
  --firmware FILE|none bundle installed as .bootcde before power-on (default ${path.relative(process.cwd(), DEFAULT_BUNDLE)});
                       none: boot what DIR's Storage holds (e.g. after 'tapcard flash')
  --quiet              do not echo the board's console on stdout
  --json               print the endpoints as one JSON line on stdout, then only errors`;

const OPTIONS = {
  state: { type: 'string' },
  provision: { type: 'string' },
  vpcd: { type: 'string' },
  broker: { type: 'string' },
  serial: { type: 'string' },
  firmware: { type: 'string', default: DEFAULT_BUNDLE },
  quiet: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand({ name: 'emulate', help: HELP, options: OPTIONS }, argv, async (values) => {
    if (values.state === undefined) throw new UsageError('--state is required');
    const vpcd = values.vpcd === undefined ? undefined : hostPortOption('vpcd', values.vpcd);
    const echo = !values.quiet && !values.json;
    let emulator;
    try {
      emulator = await startEmulator({
        stateDir: values.state,
        provisionFile: values.provision,
        firmwareFile: values.firmware === 'none' ? null : values.firmware,
        broker: values.broker,
        serial: values.serial,
        vpcd,
        onWarning: (message) => console.error(`emulate: ${message}`),
      });
    } catch (err) {
      if (err instanceof EmulatorSetupError || err instanceof SerialSpecError) throw new UsageError(err.message);
      throw err;
    }
    const board = emulator.board;
    if (echo) board.on('output', (text) => process.stdout.write(text));
    board.on('powered', (on, reason) => {
      if (!on) console.error(`emulate: board off (${reason})`);
    });
    const endpoints = { state: board.stateDir, serial: emulator.serial?.address ?? null, vpcd: values.vpcd ?? null, pid: process.pid };
    if (values.json) console.log(JSON.stringify(endpoints));
    else console.error(`emulate: state ${endpoints.state}${endpoints.serial ? `, console on ${endpoints.serial}` : ''}${endpoints.vpcd ? `, tapped by vpcd ${endpoints.vpcd}` : ''}`);

    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await emulator.stop();
    return EXIT.OK;
  });
}
