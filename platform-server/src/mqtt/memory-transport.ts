/**
 * An in-process link: one platform transport and any number of device transports joined without a
 * broker, for tests and single-process runs. Delivery is asynchronous (a microtask later), like a
 * broker's, and each frame is copied so sender and receiver never share a buffer. Frames to or from
 * a device nobody attached are dropped, as a broker drops them for a subscriber-less topic.
 */
import { SMS_USER_DATA_MAX } from '../../../firmware/src/core/link/udh';
import type { DeviceLinkTransport, LinkTransport } from '../../../net/mqtt/link-transport';
import { assertDeviceId } from '../../../contracts/device-id';

type PlatformHandler = (deviceId: string, frame: Uint8Array) => void;
type DeviceHandler = (frame: Uint8Array) => void;

export class MemoryLinkNetwork {
  private platformHandler: PlatformHandler | null = null;
  private readonly devices = new Map<string, DeviceHandler | null>();

  constructor(readonly frameSize: number = SMS_USER_DATA_MAX) {}

  platform(): LinkTransport {
    return {
      send: async (deviceId, frame) => {
        this.check(frame);
        const copy = frame.slice();
        await Promise.resolve();
        const h = this.devices.get(deviceId);
        if (h !== undefined && h !== null) h(copy);
      },
      onFrame: (handler) => {
        this.platformHandler = handler;
      },
      close: async () => {
        this.platformHandler = null;
      },
    };
  }

  device(deviceId: string): DeviceLinkTransport {
    assertDeviceId(deviceId);
    this.devices.set(deviceId, null);
    return {
      deviceId,
      send: async (frame) => {
        this.check(frame);
        const copy = frame.slice();
        await Promise.resolve();
        if (this.platformHandler !== null) this.platformHandler(deviceId, copy);
      },
      onFrame: (handler) => {
        this.devices.set(deviceId, handler);
      },
      close: async () => {
        this.devices.delete(deviceId);
      },
    };
  }

  private check(frame: Uint8Array): void {
    if (frame.length === 0 || frame.length > this.frameSize) {
      throw new RangeError(`frame of ${frame.length} octets: expected 1..${this.frameSize}`);
    }
  }
}
