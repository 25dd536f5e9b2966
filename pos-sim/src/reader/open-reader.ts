/** Builds the Reader a `--reader` spec names (reader.ts parseReaderSpec). */
import { DirectReader } from './direct-reader';
import { PcscReader } from './pcsc-reader';
import type { Reader, ReaderSpec } from './reader';

export async function openReader(spec: ReaderSpec): Promise<Reader> {
  if (spec.kind === 'direct') return DirectReader.listen(spec.port, spec.host);
  return new PcscReader(spec.name);
}
