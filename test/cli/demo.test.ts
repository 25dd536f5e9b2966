/** `npm run demo` is README's first command: it must run end to end and exit 0. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('boots the firmware bundle in the emulator, downloads three cards and runs the four terminal flows, exit 0', () => {
    const out = execFileSync(process.execPath, ['bin/tapcard.mjs', 'demo'], { encoding: 'utf8', timeout: 120_000 });
    for (const app of ['transit', 'ecash', 'loyalty']) expect(out).toMatch(new RegExp(`${app} +installed: \\d+ LOAD blocks`));
    expect(out).toMatch(/recharge 50\.00 paid by third-party .*: 0\.00 -> 50\.00/);
    expect(out).toMatch(/transit debit 2\.00: 50\.00 -> 48\.00/);
    expect(out).toMatch(/bank deposit 30\.00 .*: 0\.00 -> 30\.00/);
    expect(out).toMatch(/points for a 128\.50 purchase: 0 -> 128 points/);
    expect(out).toMatch(/ledger settled balance 48\.00, card 48\.00, 2 TACs verified, no mismatches/);
    expect(out).toMatch(/espruino\.js: \d+ bytes/);
    expect(out).toMatch(/link: \S+ as demo-phone, online/);
    expect(out).toMatch(/slot \d \(a000000632[0-9a-f]*\): 4800/);
    expect(out).toMatch(/demo finished/);
  }, 130_000);
});
