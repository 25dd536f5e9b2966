/** `npm run demo` is README's first command: it must run end to end and exit 0. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('runs end to end on embedded defaults and exits 0 with a summary', () => {
    const out = execFileSync(process.execPath, ['bin/tapcard.mjs', 'demo'], { encoding: 'utf8', timeout: 120_000 });
    expect(out).toMatch(/summary/);
    expect(out).toMatch(/card manager record agrees: balance 48.00/);
    expect(out).toMatch(/demo finished/);
  }, 130_000);
});
