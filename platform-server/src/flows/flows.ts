/**
 * Wires the flows onto a running platform link: the issuer directory (in-process adapters by
 * default), the data processing unit with its link routes, and the resumption of active jobs.
 */
import type { PlatformLink } from '../link/platform-link';
import type { Log } from '../log';
import type { Platform } from '../platform-home';
import { DataProcessingUnit, type DpuOptions } from './data-processing-unit';
import { IssuerDirectory, type IssuerAdapter } from './issuers/issuer';
import { TransitIssuer } from './issuers/transit-issuer';

export function defaultIssuers(): IssuerAdapter[] {
  return [new TransitIssuer()];
}

export function attachFlows(p: Platform, link: PlatformLink, log: Log, opts: DpuOptions & { issuers?: IssuerAdapter[] } = {}): DataProcessingUnit {
  const dpu = new DataProcessingUnit(p, link, new IssuerDirectory(opts.issuers ?? defaultIssuers()), log, opts);
  dpu.start();
  return dpu;
}
