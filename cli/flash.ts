/**
 * `tapcard flash`: builds the firmware bundle and saves it on an ESP32 running Espruino, over a
 * serial port or tcp://, with the official EspruinoTools (host/flash-tool/flash.ts; docs/board.md).
 */
import { FlashError, flashBoard, type FlashFailureKind } from '../host/flash-tool/flash';
import { progressPrinter } from '../host/flash-tool/progress-bar';
import { EXIT } from '../contracts/exit-codes';
import { runCommand, UsageError } from './command';

const HELP = `usage: tapcard flash --port PORT [--baud 115200] [--provision FILE] [--bundle FILE]
                     [--no-verify] [--verbose] [--json]

Builds dist/firmware/espruino.js, uploads it to a board running Espruino (ESP32) and saves it
to flash as .bootcde, so it runs at every boot; then asks the board for status() to check the
flashed firmware runs. Fails on "Unable to connect", an "Uncaught" error or a missing module
from the board, whatever EspruinoTools' exit code says.

  --port PORT        serial device (/dev/ttyUSB0, a pty) or tcp://HOST:PORT (e.g. the console of
                     'tapcard emulate --serial tcp://127.0.0.1:2323')
  --baud N           serial speed (default 115200, the ESP32 console's)
  --provision FILE   also store this provisioning bundle on the board as tapcard.prov
                     ('tapcard platform provision' writes it; it holds keys, delete it afterwards)
  --bundle FILE      flash this bundle instead of building one
  --no-verify        skip the status() check after flashing
  --verbose          show the board's console and EspruinoTools' messages
  --json             print the result as JSON on stdout

exit codes: 0 flashed (and answered), 1 upload or check failed, 2 bad options,
            7 the port could not be opened or EspruinoTools could not connect`;

const EXIT_FOR: { [kind in FlashFailureKind]: number } = {
  'unable-to-connect': EXIT.UNAVAILABLE,
  'bad-input': EXIT.USAGE,
  build: EXIT.FAILURE,
  uncaught: EXIT.FAILURE,
  'module-not-found': EXIT.FAILURE,
  'no-prompt': EXIT.FAILURE,
  incomplete: EXIT.FAILURE,
  'cli-exit': EXIT.FAILURE,
  verify: EXIT.FAILURE,
};

const OPTIONS = {
  port: { type: 'string' },
  baud: { type: 'string', default: '115200' },
  provision: { type: 'string' },
  bundle: { type: 'string' },
  'no-verify': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand({ name: 'flash', help: HELP, options: OPTIONS }, argv, async (values) => {
    if (values.port === undefined) throw new UsageError('--port is required');
    const baud = Number(values.baud);
    const started = Date.now();
    try {
      const result = await flashBoard({
        port: values.port,
        baud,
        bundleFile: values.bundle,
        provisionFile: values.provision,
        verify: !values['no-verify'],
        onProgress: values.json ? undefined : progressPrinter(process.stderr),
        onLine: values.verbose ? (source, line) => console.error(`${source === 'board' ? '--]' : '   '} ${line}`) : undefined,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (values.json) {
        console.log(JSON.stringify({ ok: true, port: values.port, bundleBytes: result.bundleBytes, chunks: result.chunks, seconds: Number(seconds), status: result.status }));
      } else {
        console.log(`flashed ${result.bundleBytes} bytes to ${values.port} in ${seconds} s`);
        for (const line of result.status) console.log(`  ${line}`);
      }
      return EXIT.OK;
    } catch (err) {
      if (!(err instanceof FlashError)) throw err;
      if (values.json) console.log(JSON.stringify({ ok: false, port: values.port, failure: err.kind, message: err.message }));
      else console.error(`\ntapcard flash: ${err.message}`);
      return EXIT_FOR[err.kind];
    }
  });
}
