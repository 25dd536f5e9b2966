/** A device transport for the flow tests that steers the device's frames up one by one. */
import type { DeviceLinkTransport } from '../../net/mqtt/link-transport';

/** Commands the SE runs in a clean download besides the script: SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, 2 GET STATUS. */
export const BEFORE_SCRIPT = 5;

/** A device transport whose nth frame up goes through `up` (which sends it, or not, twice, or later). */
export function upstream(inner: DeviceLinkTransport, up: (n: number, frame: Uint8Array, send: (f: Uint8Array) => Promise<void>) => Promise<void>): DeviceLinkTransport {
  let n = 0;
  return {
    deviceId: inner.deviceId,
    send: (frame) => up(++n, frame.slice(), (f) => inner.send(f)),
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
  };
}
