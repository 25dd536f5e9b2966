/**
 * Wires the flows onto a running platform link: the issuer directory over the adapters the caller
 * gives (the composition root: the simulated parties in process, or remote issuers over HTTP),
 * the data processing unit with its link routes, and the resumption of active jobs.
 */
import type { IssuerAdapter } from '../../../contracts/issuer';
import type { PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { DataProcessingUnit, type DpuOptions } from './data-processing-unit';
import { IssuerDirectory } from './issuers/issuer-directory';

export function attachFlows(p: Platform, link: PlatformLink, log: Log, opts: DpuOptions & { issuers: IssuerAdapter[] }): DataProcessingUnit {
  const dpu = new DataProcessingUnit(p, link, new IssuerDirectory(opts.issuers), log, opts);
  dpu.start();
  return dpu;
}
