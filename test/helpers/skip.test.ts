import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireDebian, requireEspruino } from './skip';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function asNonRoot(): void {
  vi.spyOn(process, 'getuid').mockReturnValue(1000);
}

describe('requireDebian', () => {
  it('runs a suite whose needs are met', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    expect(requireDebian('demo', [], { root: true })).toBe(false);
  });

  it('skips with a plain message naming what is missing', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TAPCARD_REQUIRE_ALL', '');
    asNonRoot();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireDebian('demo suite', [], { root: true })).toBe(true);
    expect(warn).toHaveBeenCalledWith('SKIPPED: demo suite needs root (it starts system daemons)');
  });

  it('names a missing package and how to install it', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TAPCARD_REQUIRE_ALL', '');
    vi.stubEnv('PATH', '/nonexistent'); // lua5.3 lives in /usr/bin, which the probe then cannot see
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireDebian('lua suite', ['lua5.3'])).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      'SKIPPED: lua suite needs Debian package(s) lua5.3 (install: apt-get install --no-install-recommends lua5.3)',
    );
  });

  it('fails instead of skipping under CI', () => {
    vi.stubEnv('CI', '1');
    asNonRoot();
    expect(() => requireDebian('demo suite', [], { root: true })).toThrow(/FAILED: demo suite needs root/);
  });

  it('fails instead of skipping with TAPCARD_REQUIRE_ALL=1', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TAPCARD_REQUIRE_ALL', '1');
    asNonRoot();
    expect(() => requireDebian('demo suite', [], { root: true })).toThrow(/forbids skipping/);
  });
});

describe('requireEspruino', () => {
  it('skips naming the variable and how to build the interpreter', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TAPCARD_REQUIRE_ALL', '');
    vi.stubEnv('TAPCARD_ESPRUINO', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireEspruino('interpreter suite')).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      'SKIPPED: interpreter suite needs TAPCARD_ESPRUINO (build it with ../shared/vendor/espruino/build.sh DIR, then set TAPCARD_ESPRUINO=DIR/bin/espruino; the build needs build-essential, python3, git)',
    );
  });

  it('fails instead of skipping under CI', () => {
    vi.stubEnv('CI', '1');
    vi.stubEnv('TAPCARD_ESPRUINO', '');
    expect(() => requireEspruino('interpreter suite')).toThrow(/FAILED: interpreter suite needs TAPCARD_ESPRUINO/);
  });

  it('rejects a variable that names no executable', () => {
    vi.stubEnv('TAPCARD_ESPRUINO', '/nonexistent/espruino');
    expect(() => requireEspruino('interpreter suite')).toThrow(/is not an executable file/);
  });

  it('runs the suite when the binary is there', () => {
    vi.stubEnv('TAPCARD_ESPRUINO', process.execPath); // any executable stands for it here
    expect(requireEspruino('interpreter suite')).toBe(false);
  });
});
