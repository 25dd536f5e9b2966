import { describe, expect, it } from 'vitest';
import { ILLEGAL, step } from '../../firmware/src/board/espruino/emulation-session';

describe('card-emulation session state machine', () => {
  it('walks reset -> configure -> listen -> receive <-> respond', () => {
    expect(step('off', 'start')).toBe('resetting');
    expect(step('resetting', 'reset-done')).toBe('configuring');
    expect(step('configuring', 'configured')).toBe('listening');
    expect(step('listening', 'activated')).toBe('receiving');
    expect(step('receiving', 'command')).toBe('responding');
    expect(step('responding', 'responded')).toBe('receiving');
  });

  it('returns to listening when the reader leaves, and re-checks the chip when idle', () => {
    expect(step('receiving', 'released')).toBe('listening');
    expect(step('responding', 'released')).toBe('listening');
    expect(step('listening', 'idle-check')).toBe('configuring');
  });

  it('resets the chip on a link failure from any running state, and stops from any state', () => {
    for (const s of ['resetting', 'configuring', 'listening', 'receiving', 'responding'] as const) {
      expect(step(s, 'link-failed')).toBe('resetting');
      expect(step(s, 'stop')).toBe('off');
    }
    expect(step('off', 'link-failed')).toBe(ILLEGAL);
  });

  it('refuses events out of order', () => {
    expect(step('off', 'command')).toBe(ILLEGAL);
    expect(step('listening', 'command')).toBe(ILLEGAL);
    expect(step('receiving', 'activated')).toBe(ILLEGAL);
    expect(step('configuring', 'released')).toBe(ILLEGAL);
  });
});
