/**
 * Bad input to the CLI ends in one line naming the file or option, and an exit code a script can
 * act on (2 usage, 1 failure, 8 corrupt flash image), never a stack trace; and the terminal API's
 * schema check treats inherited names such as __proto__ as unknown fields.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { int, parseWire, ValidationError, wireBody } from '../../contracts/wire-schema';
import { DEFAULT_FLASH_PAGES, STATE_FILE, openStateDir } from '../../host/se/virtual-se';
import { EXIT } from '../../contracts/exit-codes';

const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-bad-input-'));

function tapcard(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/tapcard.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

function expectOneLine(stderr: string, mentions: string): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith("Run 'tapcard"));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(mentions);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('CLI bad input', () => {
  it('se serve: a truncated flash image, a garbage se-serial.txt, --state naming a file', () => {
    const truncated = path.join(dir, 'truncated');
    fs.mkdirSync(truncated);
    fs.writeFileSync(path.join(truncated, 'se-flash.bin'), Buffer.alloc(1000));
    let r = tapcard('se', 'serve', '--vpcd', '127.0.0.1:1', '--state', truncated);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, 'se-flash.bin is 1000 bytes');

    const garbage = path.join(dir, 'garbage');
    fs.mkdirSync(garbage);
    fs.writeFileSync(path.join(garbage, 'se-serial.txt'), 'not a serial\n');
    r = tapcard('se', 'serve', '--vpcd', '127.0.0.1:1', '--state', garbage);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, 'se-serial.txt: expected the SE serial as hex');

    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    r = tapcard('se', 'serve', '--vpcd', '127.0.0.1:1', '--state', file);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, `--state ${file}: not a directory`);
  });

  it('se serve: a corrupt flash image is refused with exit code 8, one line saying where, the image unchanged', () => {
    // A personalised SE, then one bit of its first record flipped (page header 16, record header 12).
    const flipped = path.join(dir, 'flipped');
    openStateDir(flipped);
    const image = fs.readFileSync(path.join(flipped, STATE_FILE));
    image[16 + 12 + 1] ^= 0x04;
    fs.writeFileSync(path.join(flipped, STATE_FILE), image);
    let r = tapcard('se', 'serve', '--vpcd', '127.0.0.1:1', '--state', flipped);
    expect(r.code).toBe(EXIT.CORRUPT);
    expectOneLine(r.stderr, `${STATE_FILE} is corrupt (page 0 offset 16: a damaged record with data after it (not a torn write)); refusing to start`);
    expect(fs.readFileSync(path.join(flipped, STATE_FILE)).equals(image)).toBe(true);

    const zero = path.join(dir, 'zero');
    fs.mkdirSync(zero);
    fs.writeFileSync(path.join(zero, STATE_FILE), Buffer.alloc(DEFAULT_FLASH_PAGES * 4096));
    r = tapcard('se', 'serve', '--vpcd', '127.0.0.1:1', '--state', zero);
    expect(r.code).toBe(EXIT.CORRUPT);
    expectOneLine(r.stderr, 'page 0 offset 0: page header damaged and no valid page found');
  });

  it('gp --install of a missing file is a usage error at once, not a wait for a card', () => {
    const r = tapcard('gp', '--vpcd-listen', '0', '--install', path.join(dir, 'missing.cap'));
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, 'missing.cap: no such file');
  });

  it('pos with a corrupt --journal names the file', () => {
    const journal = path.join(dir, 'journal.json');
    fs.writeFileSync(journal, '{"lastTerminalSerial": 1, "pend');
    const r = tapcard('pos', 'read', '--journal', journal, '--wait', '1');
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, `${journal}: not a POS journal`);
  });

  it('platform account-add refuses a negative balance', () => {
    const r = tapcard('platform', 'account-add', '--data', path.join(dir, 'no-platform'), '--system', 'bank', '--id', 'a1', '--balance=-5');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('terminal API schema check', () => {
  it('refuses __proto__, constructor and other inherited names as unknown fields', () => {
    const schema = wireBody({ amount: int(1, 100) });
    expect(parseWire(schema, { amount: 5 })).toEqual({ amount: 5 });
    for (const [body, field] of [['{"amount":5,"__proto__":{"x":1}}', '__proto__'], ['{"amount":5,"constructor":1}', 'constructor'], ['{"amount":5,"toString":"x"}', 'toString']]) {
      expect(() => parseWire(schema, JSON.parse(body)), body).toThrow(new ValidationError(`${field}: unknown field`));
    }
  });
});
