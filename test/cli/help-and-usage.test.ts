/**
 * Every tapcard subcommand answers --help with its help text and exit 0, and an unknown option
 * with one line on stderr naming it and pointing at the help, and the usage exit code. The lists
 * of commands are read from the help texts, so a new subcommand is checked here too.
 */
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import { EXIT } from '../../contracts/exit-codes';

async function tapcard(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

/** The command lines under each top-level command, beyond the command itself. */
const BELOW: Record<string, string[][]> = {
  se: [['serve']],
  package: [['build'], ['inspect']],
  pos: [[], ['web']],
  terminal: [[], ['cards']],
};

async function commandLines(): Promise<string[][]> {
  const top = (await tapcard(['--help'])).stdout;
  const names = [...top.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
  expect(names).toEqual(expect.arrayContaining(['demo', 'emulate', 'flash', 'gp', 'package', 'platform', 'pos', 'se', 'terminal']));
  const platformUsage = /^usage: tapcard platform <([a-z|-]+)>/.exec((await tapcard(['platform', '--help'])).stdout);
  expect(platformUsage).not.toBeNull();
  const lines: string[][] = [];
  for (const name of names) {
    if (name === 'platform') for (const sub of platformUsage![1].split('|')) lines.push([name, sub]);
    else for (const below of BELOW[name] ?? [[]]) lines.push([name, ...below]);
  }
  return lines;
}

describe('every tapcard subcommand', () => {
  it('answers --help and -h with its help text, exit 0', async () => {
    const lines = await commandLines();
    expect(lines.length).toBeGreaterThan(20);
    for (const words of lines) {
      for (const flag of ['--help', '-h']) {
        const r = await tapcard([...words, flag]);
        expect(r.code, `${words.join(' ')} ${flag}: ${r.stderr}`).toBe(EXIT.OK);
        expect(r.stdout, words.join(' ')).toMatch(/^usage: tapcard /);
        expect(r.stdout, words.join(' ')).toContain(`tapcard ${words.join(' ')}`);
        expect(r.stderr).toBe('');
      }
    }
  });

  it('answers an unknown option with one line naming it and the usage exit code, before doing anything', async () => {
    for (const words of await commandLines()) {
      const r = await tapcard([...words, '--no-such-option']);
      const name = `tapcard ${words.join(' ')}`;
      expect(r.code, `${name}: ${r.stderr}`).toBe(EXIT.USAGE);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(r.stderr).toContain(`${name}: Unknown option '--no-such-option'`);
      expect(r.stderr).toContain(`(see '${name} --help')`);
    }
  });

  it('answers a missing or unknown subcommand with the usage exit code', async () => {
    for (const group of [[], ['platform'], ['package'], ['se']]) {
      const none = await tapcard(group);
      expect(none.code, group.join(' ')).toBe(EXIT.USAGE);
      expect(none.stdout).toMatch(/^usage: tapcard/);
      const unknown = await tapcard([...group, 'nonsense']);
      expect(unknown.code, group.join(' ')).toBe(EXIT.USAGE);
      expect(unknown.stderr).toMatch(/unknown (sub)?command 'nonsense'/);
    }
  });
});
