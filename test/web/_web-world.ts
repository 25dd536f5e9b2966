/**
 * The web suites' world: the online world (platform with the transit, bank and merchant servers,
 * one device with three downloaded cards, pos-sim's direct reader) plus the platform's HTTP server
 * with the operator console and the terminal API mounted, as `tapcard platform start` mounts them.
 * The platform's frames down to the device are paced (FRAME_GAP_MS each), as a real link paces
 * them, so a download lasts long enough for its progress to be watched.
 */
import { startHttp, type PlatformHttp } from '../../platform-server/src/http/server';
import type { LinkTransport } from '../../net/mqtt/link-transport';
import { terminalApi } from '../../platform-server/src/terminals/terminal-api';
import { operatorConsole } from '../../platform-server/src/web/console-api';
import { onlineWorld, type OnlineWorld } from '../online/_world';

const FRAME_GAP_MS = 15;

export interface WebWorld {
  online: OnlineWorld;
  http: PlatformHttp;
  /** The operator credential `platform init` printed. */
  operatorCredential: string;
  close(): Promise<void>;
}

function paced(inner: LinkTransport): LinkTransport {
  let last = Promise.resolve();
  return {
    send(deviceId, frame) {
      last = last.then(() => new Promise((r) => setTimeout(r, FRAME_GAP_MS))).then(() => inner.send(deviceId, frame));
      return last;
    },
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
  };
}

export async function webWorld(): Promise<WebWorld> {
  const online = await onlineWorld({ platformTransport: (network) => paced(network.platform()) });
  const http = await startHttp(online.flow.platform.db, { mqtt: { url: 'memory:', tlsUrl: null, embedded: true } }, 0, '127.0.0.1', [
    terminalApi(online.services, online.flow.log),
    operatorConsole(online.flow.platform, online.services),
  ]);
  await fetch(`${http.url}/assets/style.css`); // builds the pages once, before any test waits on them
  return {
    online,
    http,
    operatorCredential: online.flow.tp.init.operatorCredential,
    async close() {
      await http.close();
      await online.close();
    },
  };
}
