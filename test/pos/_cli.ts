/** Runs `tapcard pos` in process with its stdout/stderr captured (as test/gp/cli-harness.ts does for gp). */
import { vi } from 'vitest';
import { run } from '../../cli/pos';

export type CliResult = { code: number; stdout: string; stderr: string };

export async function runPos(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
  try {
    const code = await run(args);
    return { code, stdout, stderr };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}
