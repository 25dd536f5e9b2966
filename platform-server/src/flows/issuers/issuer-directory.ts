/**
 * The issuer adapters the platform knows, by application id. The issuer interface itself is a
 * contract (contracts/issuer.ts): the simulated issuers (parties/) implement it in process, and
 * http-issuer.ts binds it to a remote issuer server (docs/flows.md §4).
 */
import { IssuerError, type ApplicationInfo, type IssuerAdapter } from '../../../../contracts/issuer';

export class IssuerDirectory {
  private readonly byApp = new Map<string, { adapter: IssuerAdapter; info: ApplicationInfo }>();

  constructor(adapters: IssuerAdapter[]) {
    for (const adapter of adapters) for (const info of adapter.applications()) this.byApp.set(info.id, { adapter, info });
  }

  applications(): ApplicationInfo[] {
    return [...this.byApp.values()].map((e) => e.info);
  }

  find(applicationId: string): { adapter: IssuerAdapter; info: ApplicationInfo } {
    const e = this.byApp.get(applicationId);
    if (e === undefined) throw new IssuerError(`no issuer offers application '${applicationId}'`, 'UNKNOWN_APPLICATION');
    return e;
  }
}
