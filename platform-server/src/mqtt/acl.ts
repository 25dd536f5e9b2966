/**
 * Who may publish and subscribe to what on the broker: a device only to its own
 * topics, the platform to every device's. Pure functions over an identity (identity.ts), used by
 * the embedded broker's authorizePublish/authorizeSubscribe hooks and testable on their own.
 *
 *   device d    publish   tapcard/v1/d/up           subscribe  tapcard/v1/d/down
 *   platform    publish   tapcard/v1/<any>/down     subscribe  tapcard/v1/+/up, $share/<group>/tapcard/v1/+/up,
 *                                                              tapcard/v1/<any>/up
 *   anyone      nothing else ($SYS included)
 */
import { isValidDeviceId } from '../../../contracts/device-id';
import { PLATFORM_UP_FILTER, TOPIC_ROOT, downTopic, parseLinkTopic, upTopic } from '../../../net/mqtt/topics';

export type Role = 'device' | 'platform';

export interface BrokerIdentity {
  role: Role;
  /** Device id, or the platform principal's name. */
  id: string;
}

export function mayPublish(who: BrokerIdentity, topic: string): boolean {
  if (who.role === 'device') return isValidDeviceId(who.id) && topic === upTopic(who.id);
  const t = parseLinkTopic(topic);
  return t !== null && t.direction === 'down';
}

export function maySubscribe(who: BrokerIdentity, filter: string): boolean {
  if (who.role === 'device') return isValidDeviceId(who.id) && filter === downTopic(who.id);
  const plain = stripSharePrefix(filter);
  if (plain === null) return false;
  if (plain === PLATFORM_UP_FILTER) return true;
  const t = parseLinkTopic(plain);
  return t !== null && t.direction === 'up';
}

/**
 * "$share/<group>/<filter>" -> "<filter>"; a filter without the prefix is returned as is; a
 * malformed share (empty group, wildcard in the group, nothing after it) gives null.
 */
export function stripSharePrefix(filter: string): string | null {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  if (/[+#]/.test(group)) return null;
  const inner = rest.slice(slash + 1);
  return inner.startsWith(`${TOPIC_ROOT}/`) ? inner : null;
}
