import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireDebian } from './skip';

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
