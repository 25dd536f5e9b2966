/**
 * Counts what crosses the broker for one terminal: a DeviceLinkTransport wrapper that notes the
 * size of every frame going up (device -> platform) and coming down (platform -> device). Every
 * frame is one MQTT PUBLISH on tapcard/v1/<id>/up|down, so these lists are the message count and
 * sizes the bare-broker comparison replays (bench/_platform-bare.ts).
 */
import type { DeviceLinkTransport } from '../net/mqtt/link-transport';

export interface FrameLog {
  up: number[];
  down: number[];
}

export function countingTransport(inner: DeviceLinkTransport, log: FrameLog): DeviceLinkTransport {
  return {
    deviceId: inner.deviceId,
    send(frame) {
      log.up.push(frame.length);
      return inner.send(frame);
    },
    onFrame(handler) {
      inner.onFrame((frame) => {
        log.down.push(frame.length);
        handler(frame);
      });
    },
    close: () => inner.close(),
  };
}

export function frameCount(log: FrameLog): number {
  return log.up.length + log.down.length;
}

export function frameOctets(log: FrameLog): number {
  let n = 0;
  for (const x of log.up) n += x;
  for (const x of log.down) n += x;
  return n;
}
