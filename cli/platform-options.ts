/**
 * What every subcommand working on an existing platform shares: where it is (--data, and --db when
 * its database is not the data directory's SQLite file, e.g. the PostgreSQL of several workers;
 * TAPCARD_DB says the same), and opening it for one command.
 */
import { DEFAULT_DATA_DIR, Platform } from '../platform-server/src/platform-home';

export const PLATFORM_OPTIONS = {
  data: { type: 'string', default: DEFAULT_DATA_DIR },
  db: { type: 'string' },
} as const;

/** Opens the platform the options name, runs `use` on it and closes it, whatever happens. */
export async function withPlatform<T>(v: { data: string; db?: string }, use: (p: Platform) => T | Promise<T>): Promise<T> {
  const p = Platform.open(v.data, process.env, v.db);
  try {
    return await use(p);
  } finally {
    p.close();
  }
}
