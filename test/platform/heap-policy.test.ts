/**
 * The platform's heap policy: `tapcard platform start`/`worker` set V8's old-generation growing
 * factor unless the operator set it, and the setting takes effect in the running process.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapPolicyFlag } from '../../platform-server/src/heap-policy';

describe('heap policy', () => {
  it('sets the growing factor when the operator did not', () => {
    expect(heapPolicyFlag([], undefined)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapPolicyFlag(['--enable-source-maps'], '--max-old-space-size=512')).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it("leaves an operator's own setting alone, in either spelling, as a flag or in NODE_OPTIONS", () => {
    expect(heapPolicyFlag(['--heap-growing-percent=80'], undefined)).toBeNull();
    expect(heapPolicyFlag([], '--heap_growing_percent=20 --max-old-space-size=512')).toBeNull();
  });

  it('is accepted by the V8 the platform runs on (an unknown flag would be ignored silently)', () => {
    // node refuses an unknown V8 flag on its command line, so the flag's spelling is checked here
    const out = execFileSync(process.execPath, [heapPolicyFlag([], undefined)!, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
    expect(() => execFileSync(process.execPath, ['--heap-growing-percentage=50', '-e', ''], { stdio: 'pipe' })).toThrow();
  });
});
