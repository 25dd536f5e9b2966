/**
 * `tapcard pos web`: the POS till as a web page (pos-sim/src/web): the cashier picks the flow and
 * the amount and presses Tap; the page waits for the card on the configured reader and shows the
 * result or the decline. Serves until Ctrl-C.
 */
import { EXIT } from '../contracts/exit-codes';
import { FileJournal } from '../pos-sim/src/purse/file-journal';
import { openReader } from '../pos-sim/src/reader/open-reader';
import { parseReaderSpec } from '../pos-sim/src/reader/reader';
import { startPosWeb } from './pos-web-server';
import { DevKeysSecurityModule } from '../parties/purse-security-module';
import { Till } from '../pos-sim/src/web/till';
import { portOption, runCommand, secondsOption, UsageError } from './command';

const KEY_ENV = 'TAPCARD_TERMINAL_KEY';

const HELP = `usage: tapcard pos web [--reader SPEC] [--dev-keys | --platform URL --terminal-id ID --terminal-key KEY]
                       [--port N] [--host ADDR] [--wait S] [--journal FILE]

Serves the till's page on http://ADDR:N/ (default 127.0.0.1:8090; 0 = a free port, printed):
choose the flow (transit debit or recharge, recharge paid by third party, bank deposit or debit,
merchant earn or redeem) and the amount, press Tap, hold the card to the reader. Online through
the platform's terminal API with --platform (every flow), or offline with --dev-keys (transit
only). The terminal key may come from ${KEY_ENV}.

  --reader SPEC   direct:[HOST:]PORT or pcsc[:NAME] (default pcsc), as 'tapcard pos tap'
  --wait S        seconds a tap waits for the card (default 20)
  --journal FILE  open transactions and terminal serials (default ./.tapcard/pos/journal.json)
`;

const OPTIONS = {
  reader: { type: 'string', default: 'pcsc' },
  'dev-keys': { type: 'boolean', default: false },
  platform: { type: 'string' },
  'terminal-id': { type: 'string' },
  'terminal-key': { type: 'string' },
  port: { type: 'string', default: '8090' },
  host: { type: 'string', default: '127.0.0.1' },
  wait: { type: 'string', default: '20' },
  journal: { type: 'string', default: './.tapcard/pos/journal.json' },
} as const;

export function runPosWeb(argv: string[]): Promise<number> {
  return runCommand({ name: 'pos web', help: HELP, options: OPTIONS }, argv, async (v) => {
    const readerSpec = parseReaderSpec(v.reader);
    if (readerSpec === null) throw new UsageError(`--reader must be direct:[HOST:]PORT or pcsc[:NAME], got '${v.reader}'`);
    const port = portOption('port', v.port);
    const waitMs = secondsOption('wait', v.wait) * 1000;
    const key = v['terminal-key'] ?? process.env[KEY_ENV];
    let platform = null;
    if (v.platform !== undefined) {
      if (v['dev-keys']) throw new UsageError('give --dev-keys (offline) or --platform (online), not both');
      if (!/^https?:\/\/[^/]+/.test(v.platform)) throw new UsageError(`--platform must be the platform's HTTP API URL, got '${v.platform}'`);
      if (v['terminal-id'] === undefined || key === undefined || key === '') throw new UsageError(`--platform needs --terminal-id and --terminal-key (or ${KEY_ENV})`);
      platform = { url: v.platform, terminalId: v['terminal-id'], terminalKey: key };
    } else if (!v['dev-keys']) {
      throw new UsageError('the till is authorised online (--platform URL --terminal-id ID --terminal-key KEY) or offline with --dev-keys');
    }
    const journal = FileJournal.open(v.journal);
    const reader = await openReader(readerSpec);
    const till = new Till({ reader, platform, journal, waitMs, offlineSecurityModule: new DevKeysSecurityModule() });
    const server = await startPosWeb(till, reader.name, port, v.host);
    console.log(`POS page on ${server.url}/ (reader ${reader.name}, ${platform === null ? 'offline, development keys' : `online through ${platform.url}`}); Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.close();
    await reader.close();
    return EXIT.OK;
  });
}
