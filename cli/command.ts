/**
 * What every tapcard subcommand shares: its usage error, strict option parsing with --help, the
 * dispatch of a command's subcommands, the checks of common option values, and the one-line
 * usage message with the usage exit code (contracts/exit-codes.ts).
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

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const satisfies CommandOptions;

type WithHelp<T extends CommandOptions> = T & typeof HELP_OPTION;

type Parsed<T extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** parseArgs in strict mode; an unknown option, a missing value or a stray word is a UsageError. */
function parseOptions<T extends CommandOptions>(argv: string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as Parsed<T>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `help`, `--help` and `-h` as the first word ask for the help text. */
function isHelpWord(word: string | undefined): boolean {
  return word === '--help' || word === '-h' || word === 'help';
}

/** Prints a usage error as one line pointing at the command's help; returns the usage exit code. */
function usageFailure(command: string, err: UsageError): number {
  const line = command === '' ? 'tapcard' : `tapcard ${command}`;
  console.error(`${line}: ${err.message} (see '${line} --help')`);
  return EXIT.USAGE;
}

/** One command line: the words after `tapcard` that name it, its help text and its options. */
export interface Command<T extends CommandOptions> {
  name: string;
  help: string;
  /** Its options; --help (-h) is added. */
  options: T;
  /** Whether words that are not options are allowed (default: each is a usage error). */
  positionals?: boolean;
}

/** The parsed values of a command's options (with --help). */
export type CommandValues<T extends CommandOptions> = Parsed<WithHelp<T>>['values'];

export type CommandBody<T extends CommandOptions> = (values: CommandValues<T>, positionals: string[]) => number | Promise<number>;

/**
 * Parses argv for command and runs body with the values. --help prints the help text (exit 0).
 * A bad command line, found by the parser or thrown by body as a UsageError, is one line on
 * stderr and the usage exit code; any other error goes on to the caller.
 */
export async function runCommand<T extends CommandOptions>(command: Command<T>, argv: string[], body: CommandBody<T>): Promise<number> {
  try {
    const { values, positionals } = parseOptions(argv, { ...command.options, ...HELP_OPTION }, command.positionals === true);
    if ((values as { help: boolean }).help) {
      console.log(command.help);
      return EXIT.OK;
    }
    return await body(values, positionals);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(command.name, err);
    throw err;
  }
}

export type Subcommands = Record<string, (argv: string[]) => Promise<number>>;

/**
 * `tapcard <name> <subcommand> ...`: no word prints the help (exit 2, a script forgot the
 * subcommand), a help word prints it (exit 0), an unknown word is a usage error.
 */
export async function runSubcommand(name: string, help: string, subcommands: Subcommands, argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  if (word === undefined || isHelpWord(word)) {
    console.log(help);
    return word === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (!Object.hasOwn(subcommands, word)) return usageFailure(name, new UsageError(`unknown ${name === '' ? 'command' : 'subcommand'} '${word}'`));
  return subcommands[word](rest);
}

/** A TCP port, 0 (any free port) to 65535. */
export function portOption(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--${name}: expected a port 0..65535, got '${text}'`);
  return n;
}

/** A duration in seconds above 0 (fractions allowed). */
export function secondsOption(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name}: expected seconds above 0, got '${text}'`);
  return n;
}

/** `HOST:PORT`, as the vpcd options take it. */
export function hostPortOption(name: string, text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[2]) > 65535) throw new UsageError(`--${name} must be HOST:PORT, got '${text}'`);
  return { host: m[1], port: Number(m[2]) };
}
