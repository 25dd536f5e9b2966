/**
 * tapcard CLI entry: one subcommand per part of the system (ARCHITECTURE.md "The parts").
 * Each subcommand lives in its own module and exports `run(argv): Promise<number>` (the exit code).
 */
import { TapcardError } from '../contracts/errors';
import { EXIT } from '../contracts/exit-codes';
import { runSubcommand, type Subcommands } from './command';

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  demo: { summary: 'run the system end to end on its embedded defaults', load: () => import('./demo') },
  se: { summary: 'run the virtual secure element as a contactless card (vpcd)', load: () => import('./se') },
  gp: { summary: 'GlobalPlatform host: list, install, delete, put-key over SCP03 (PC/SC or vpcd)', load: () => import('./gp') },
  package: { summary: 'build and inspect card install packages (transit, ecash, loyalty)', load: () => import('./package') },
  pos: { summary: 'POS simulator: read a transit card, tap a debit or recharge (direct vpcd reader or PC/SC)', load: () => import('./pos') },
  platform: { summary: 'service platform: init, start (MQTT broker + link + HTTP), provision, devices', load: () => import('./platform') },
  terminal: { summary: 'one terminal in-process (MCU + SE) over MQTT; cards in its state DIR', load: () => import('./terminal') },
  emulate: { summary: 'run the firmware bundle on an emulated ESP32 + PN532 board (vpcd, serial console)', load: () => import('./emulate') },
  flash: { summary: 'build the firmware and save it on an Espruino board over serial or tcp://', load: () => import('./flash') },
};

export function usage(): string {
  const lines = ['usage: tapcard <command> [options]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS).sort()) lines.push(`  ${name.padEnd(10)} ${COMMANDS[name].summary}`);
  lines.push('', "Run 'tapcard <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const subcommands: Subcommands = {};
  for (const [name, cmd] of Object.entries(COMMANDS)) subcommands[name] = async (rest) => (await cmd.load()).run(rest);
  try {
    return await runSubcommand('', usage(), subcommands, argv);
  } catch (err) {
    // Anything a subcommand did not turn into its own message: one line, no stack trace
    // (TAPCARD_DEBUG=1 shows it), and the exit code a TapcardError carries.
    if (process.env.TAPCARD_DEBUG === '1') console.error(err);
    else console.error(`tapcard ${argv[0]}: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof TapcardError ? err.code : EXIT.FAILURE;
  }
}
