/**
 * A burst: the embedded broker keeps running and delivers every frame when thousands of messages
 * arrive at once while others are still being delivered, most of them for a device that is not
 * connected. With aedes' default delivery queue the broker called itself once per queued message
 * without a subscriber and died of a stack overflow (10,000 terminals in the platform bench). The
 * child runs with a small stack (--stack-size, KB) so that 20,000 frames show it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '_broker-burst.ts');
const TO_DEVICE = 150;
const TO_NOBODY = 20_000;

function runBurst(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--stack-size=100', '--import', 'tsx', SCRIPT, String(TO_DEVICE), String(TO_NOBODY)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('embedded broker under a burst', () => {
  it('stays up and delivers every frame to the connected device', async () => {
    const r = await runBurst();
    expect(r.stderr).not.toContain('Maximum call stack size exceeded');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ delivered: TO_DEVICE });
  }, 60_000);
});
