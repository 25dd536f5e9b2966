/**
 * What every tapcard subcommand shares: its usage error, option parsing that turns node:util's
 * parse errors into usage errors, the help words, and the one-line usage message (exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TapcardError } from '../contracts/errors';
import { EXIT } from '../contracts/exit-codes';

/** A bad command line: the message names the option or argument. */
export class UsageError extends TapcardError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode; an unknown option or a missing value is a UsageError. */
export function parseOptions<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `help`, `--help` and `-h` as the first word ask for the help text. */
export function isHelpWord(word: string | undefined): boolean {
  return word === '--help' || word === '-h' || word === 'help';
}

/** Prints a usage error as one line pointing at the command's help; returns the usage exit code. */
export function usageFailure(command: string, err: UsageError): number {
  console.error(`tapcard ${command}: ${err.message} (see 'tapcard ${command} --help')`);
  return EXIT.USAGE;
}
