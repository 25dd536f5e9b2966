/**
 * `tapcard terminal`: the MCU and the SE in-process as one terminal, with its state in
 * --state DIR, joined to the platform over MQTT with the provisioning bundle's identity.
 *
 *   tapcard terminal --provision FILE --state DIR [--broker URL] [--download APP] [--json]
 *   tapcard terminal cards --state DIR [--json]
 */
import { readBundle } from '../contracts/provisioning-bundle';
import { MqttConnectError } from '../net/mqtt/client';
import { readCards } from '../host/terminal/cards';
import { Terminal, TerminalStateError, openSeState } from '../host/terminal/terminal';
import { BUSY_RETRY_MS, BUSY_TRIES, requestDownload } from '../host/terminal/request-download';
import { startWalletWeb } from '../host/terminal/wallet-web';
import { EXIT } from '../contracts/exit-codes';
import { portOption, runCommand, UsageError } from './command';

const HELP = `usage: tapcard terminal --provision FILE --state DIR [--broker URL] [--download APP] [--json]
       tapcard terminal cards --state DIR [--json]

Runs one terminal: the main control unit and the secure element in this process, the SE's flash
and the link counters in DIR, connected to the platform's MQTT broker with the identity in the
provisioning bundle FILE ('tapcard platform provision'). It relays downloads the platform starts
('tapcard platform download') and logs their progress. Ctrl-C stops it; DIR keeps its cards.

  --provision FILE  provisioning bundle (holds secrets: keep it like a key)
  --state DIR       terminal state directory (created on first run)
  --broker URL      broker URL instead of the bundle's (mqtt:// or mqtts://)
  --download APP    ask the platform for application APP once connected (e.g. transit); while the
                    platform cannot take it (its database away) the request is sent again every
                    ${BUSY_RETRY_MS / 1000} s, up to ${BUSY_TRIES} times
  --wallet-port N   serve the card holder's wallet page on http://127.0.0.1:N/ (0 = a free port):
                    cards, balances, recent transactions, and a button asking for a new card
  --json            log as JSON lines

cards               list the cards in DIR: slot, card serial, AID and card-manager record
`;

const OPTIONS = {
  provision: { type: 'string' },
  state: { type: 'string' },
  broker: { type: 'string' },
  download: { type: 'string' },
  'wallet-port': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export function run(argv: string[]): Promise<number> {
  if (argv[0] === 'cards') return cards(argv.slice(1));
  return runCommand({ name: 'terminal', help: HELP, options: OPTIONS }, argv, async (v) => {
    if (v.provision === undefined || v.state === undefined) throw new UsageError('--provision and --state are required');
    const walletPort = v['wallet-port'] === undefined ? null : portOption('wallet-port', v['wallet-port']);
    const json = v.json;
    const log = (event: string, detail: Record<string, unknown> = {}): void => {
      if (json) console.log(JSON.stringify({ at: new Date().toISOString(), event, ...detail }));
      else console.error(`${new Date().toISOString()} ${event} ${Object.entries(detail).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(' ')}`);
    };
    let terminal: Terminal;
    try {
      terminal = await Terminal.start({ bundle: readBundle(v.provision), stateDir: v.state, brokerUrl: v.broker, log });
    } catch (err) {
      console.error(`tapcard terminal: ${(err as Error).message}`);
      return err instanceof MqttConnectError ? EXIT.UNAVAILABLE : EXIT.FAILURE;
    }
    log('terminal.ready', { deviceId: terminal.deviceId, cards: terminal.cards().length });
    const wallet = walletPort === null ? null : await startWalletWeb(terminal, walletPort);
    if (wallet !== null) log('terminal.wallet', { url: `${wallet.url}/` });
    if (v.download !== undefined) await requestDownload(terminal, v.download, log, BUSY_RETRY_MS);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    log('terminal.stopping', { signal });
    await wallet?.close();
    await terminal.close();
    return EXIT.OK;
  });
}

function cards(argv: string[]): Promise<number> {
  const options = { state: { type: 'string' }, json: { type: 'boolean', default: false } } as const;
  return runCommand({ name: 'terminal cards', help: HELP, options }, argv, (v) => {
    if (v.state === undefined) throw new UsageError('--state DIR is required');
    try {
      const se = openSeState(v.state);
      const list = readCards(se);
      if (v.json) console.log(JSON.stringify({ cards: list }, null, 2));
      else if (list.length === 0) console.log('no cards');
      else
        for (const c of list) {
          const cm = c.cardManager;
          console.log(`slot ${c.slot}  card ${c.cardSerial}  aid ${c.aid}${cm === null ? '' : `  ${cm.appClassName}  number ${cm.cardNumber}  balance ${cm.balance}`}`);
        }
      return EXIT.OK;
    } catch (err) {
      console.error(`tapcard terminal cards: ${(err as Error).message}`);
      return err instanceof TerminalStateError ? EXIT.NOT_FOUND : EXIT.FAILURE;
    }
  });
}
