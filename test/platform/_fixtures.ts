/** Test fixtures: a fresh platform in a temporary directory, with a development storage key file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Platform, initPlatform, type InitSummary } from '../../platform-server/src/platform-home';

export interface TempPlatform {
  dir: string;
  init: InitSummary;
  platform: Platform;
  cleanup(): void;
}

/** An environment without TAPCARD_STORAGE_KEY, so the development key file is used. */
export const NO_ENV_KEY: NodeJS.ProcessEnv = {};

export async function tempPlatform(): Promise<TempPlatform> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapcard-platform-'));
  const init = await initPlatform(dir, { env: NO_ENV_KEY });
  const platform = Platform.open(dir, NO_ENV_KEY);
  return {
    dir,
    init,
    platform,
    cleanup() {
      platform.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
