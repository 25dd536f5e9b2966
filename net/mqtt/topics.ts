/**
 * Topic names of the platform link (ARCHITECTURE.md "Wire contracts"):
 *
 *   tapcard/v1/<deviceId>/up     device -> platform (SMS-SUBMIT's role)
 *   tapcard/v1/<deviceId>/down   platform -> device (SMS-DELIVER's role)
 *
 * Platform workers subscribe through the shared subscription $share/platform/tapcard/v1/+/up, so
 * several processes can serve one broker (MQTT 5 §4.8.2; mosquitto also honours it for 3.1.1).
 *
 * Device ids: contracts/device-id.ts.
 */
import { assertDeviceId, isValidDeviceId } from '../../contracts/device-id';

export const TOPIC_ROOT = 'tapcard/v1';
export const SHARED_GROUP = 'platform';
export const PLATFORM_UP_FILTER = `${TOPIC_ROOT}/+/up`;
export const SHARED_UP_FILTER = sharedUpFilter(SHARED_GROUP);

/**
 * The shared subscription of one group of platform workers. Every persistent session in a group
 * takes its turn, connected or not (mosquitto queues an offline member's share), so a group must
 * only hold workers with stable client ids; tests use a group of their own.
 */
export function sharedUpFilter(group: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(group)) throw new Error(`share group '${group}': expected 1-32 letters, digits, '-' or '_'`);
  return `$share/${group}/${PLATFORM_UP_FILTER}`;
}

/**
 * A platform worker's inbox: frames another worker received for a device this worker serves
 * (mqtt/leased-transport.ts). Outside tapcard/v1/, so no device's ACL pattern reaches it.
 */
export function workerInboxTopic(workerId: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(workerId)) throw new Error(`worker id '${workerId}': expected 1-32 letters, digits, '-' or '_'`);
  return `tapcard/platform/${workerId}/in`;
}

export type Direction = 'up' | 'down';


export function upTopic(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${TOPIC_ROOT}/${deviceId}/up`;
}

export function downTopic(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${TOPIC_ROOT}/${deviceId}/down`;
}

/** The device and direction of a concrete link topic, or null for any other topic. */
export function parseLinkTopic(topic: string): { deviceId: string; direction: Direction } | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  if (!isValidDeviceId(parts[2]) || (parts[3] !== 'up' && parts[3] !== 'down')) return null;
  return { deviceId: parts[2], direction: parts[3] };
}
