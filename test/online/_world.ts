/**
 * The four terminal flows' world in one process: a platform (flows attached, in-memory link) whose
 * issuers are the in-process transit, bank and merchant servers; one terminal device that
 * downloads a transit, an e-cash and a loyalty card through the download flow; the platform's HTTP
 * API with the terminal API mounted; pos-sim's direct reader that the device's SE taps over the
 * vpcd link. Terminals (first..fourth) are registered with their own credentials.
 */
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../../firmware/src/core/se/package-header';
import type { SecureElement } from '../../firmware/src/core/se/secure-element';
import type { IssuerAdapter } from '../../contracts/issuer';
import type { LinkTransport } from '../../net/mqtt/link-transport';
import type { MemoryLinkNetwork } from '../../platform-server/src/mqtt/memory-transport';
import { startHttp, type PlatformHttp } from '../../platform-server/src/http/server';
import { BANK_APPLICATIONS, ECASH_APPLICATION_ID } from '../../parties/bank-server';
import { LOYALTY_APPLICATION_ID, MERCHANT_APPLICATIONS } from '../../parties/merchant-server';
import { TRANSIT_APPLICATION_ID, TransitIssuer } from '../../parties/transit-issuer';
import { registerTerminal, type TerminalRole } from '../../platform-server/src/terminals/credentials';
import { terminalApi } from '../../platform-server/src/terminals/terminal-api';
import { issuerAdapters, type TerminalServices } from '../../platform-server/src/terminals/terminal-services';
import type { SimulatedParties } from '../../parties/parties';
import { startSimulatedParties } from '../../cli/simulated-parties';
import { SeCardDevice } from '../../host/se/virtual-se';
import type { CardDevice } from '../../host/vpcd/card-device';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import type { PlatformEndpoint } from '../../pos-sim/src/online/platform-client';
import { DirectReader } from '../../pos-sim/src/reader/direct-reader';
import type { Terminal } from '../../host/terminal/terminal';
import { flowWorld, type FlowWorld } from '../flows/_world';

export interface OnlineWorld {
  flow: FlowWorld;
  /** The simulated parties on their store (the world's platform data directory's parties.db). */
  parties: SimulatedParties;
  services: TerminalServices;
  http: PlatformHttp;
  /** The device (MCU + SE) and its SE, holding the three downloaded cards. */
  device: Terminal;
  se: SecureElement;
  cards: { transit: string; ecash: string; loyalty: string };
  /** The POS reader; leave() replaces it, so make the POS after the card is tapped. */
  readonly reader: DirectReader;
  /** Registers a terminal with the platform; its endpoint for pos-sim. */
  terminal(id: string, role: TerminalRole): PlatformEndpoint;
  /** Puts a card in the field of the reader (default: the device's SE); stop() takes it out. */
  tap(card?: CardDevice): VpcdCardClient;
  /** Takes every card out of the field (and starts a fresh reader, so no stale connection lingers). */
  leave(): Promise<void>;
  close(): Promise<void>;
}

/** Adapters created before the platform's database exists: they reach the servers once the world is built. */
function lateAdapters(get: () => TerminalServices): IssuerAdapter[] {
  const apps = [new TransitIssuer().applications(), [...BANK_APPLICATIONS], [...MERCHANT_APPLICATIONS]];
  const pick = (i: number): IssuerAdapter => ({
    issuer: (['transit', 'bank', 'merchant'] as const)[i],
    applications: () => apps[i],
    issuePackage: (req) => issuerAdapters(get())[i].issuePackage(req),
  });
  return [pick(0), pick(1), pick(2)];
}

export async function onlineWorld(opts: { platformTransport?: (network: MemoryLinkNetwork) => LinkTransport } = {}): Promise<OnlineWorld> {
  let services: TerminalServices | null = null;
  const flow = await flowWorld({ dpu: { issuers: lateAdapters(() => services as TerminalServices) }, platformTransport: opts.platformTransport });
  const running = startSimulatedParties(flow.platform);
  services = running.services;
  const device = await flow.terminal(await flow.provision('term-1'));
  for (const app of [TRANSIT_APPLICATION_ID, ECASH_APPLICATION_ID, LOYALTY_APPLICATION_ID]) {
    const job = await flow.dpu.waitFor(flow.dpu.requestDownload('term-1', app, 'test').id);
    if (job.state !== 'done') throw new Error(`download of ${app}: ${job.state} ${job.error}`);
  }
  const numberOf = (appClass: number): string => {
    const c = device.cards().find((x) => x.cardManager?.appClass === appClass);
    if (c?.cardManager === undefined || c.cardManager === null) throw new Error(`no card of class ${appClass}`);
    return c.cardManager.cardNumber;
  };
  const cards = { transit: numberOf(APP_CLASS_TRANSIT), ecash: numberOf(APP_CLASS_ECASH), loyalty: numberOf(APP_CLASS_LOYALTY) };
  const http = await startHttp(flow.platform.db, { mqtt: { url: 'memory:', tlsUrl: null, embedded: true } }, 0, '127.0.0.1', [terminalApi(services, flow.log)]);
  let reader = await DirectReader.listen(0);
  const clients: VpcdCardClient[] = [];
  const s = running.services;
  return {
    flow, parties: running.parties, services: s, http, device, se: device.se, cards,
    get reader() {
      return reader;
    },
    terminal(id, role) {
      return { url: http.url, terminalId: id, terminalKey: registerTerminal(s.db, id, role) };
    },
    tap(card) {
      const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.boundPort, card: card ?? new SeCardDevice(device.se), reconnectMs: 20 });
      clients.push(client);
      client.start();
      return client;
    },
    async leave() {
      for (const c of clients.splice(0)) await c.stop();
      await reader.close();
      reader = await DirectReader.listen(0);
    },
    async close() {
      for (const c of clients.splice(0)) await c.stop();
      await reader.close();
      await http.close();
      running.close();
      await flow.close();
    },
  };
}

/**
 * The SE as a card that, once armed, leaves the field at the next command with this INS (0x54
 * DEBIT FOR PURCHASE, 0x52 CREDIT FOR LOAD, 0x30 EARN...): `before` the SE sees it (nothing
 * happens) or `after` the SE committed it, before its answer goes out.
 */
export class CardLeavingAt implements CardDevice {
  private readonly inner: SeCardDevice;
  private armed: { ins: number; when: 'before' | 'after'; leave: () => void } | null = null;

  constructor(se: SecureElement) {
    this.inner = new SeCardDevice(se);
  }

  arm(ins: number, when: 'before' | 'after', leave: () => void): void {
    this.armed = { ins, when, leave };
  }

  powerOn(): Uint8Array {
    return this.inner.powerOn();
  }

  powerOff(): void {
    this.inner.powerOff();
  }

  reset(): Uint8Array {
    return this.inner.reset();
  }

  atr(): Uint8Array {
    return this.inner.atr();
  }

  transmit(apdu: Uint8Array): Uint8Array {
    const armed = this.armed;
    if (armed === null || apdu[0] !== 0x80 || apdu[1] !== armed.ins) return this.inner.transmit(apdu);
    this.armed = null;
    const answer = armed.when === 'after' ? this.inner.transmit(apdu) : Uint8Array.of(0x6f, 0x00);
    armed.leave();
    return answer;
  }
}
