/**
 * The quickack loopback route (docs/vpcd-pcscd.md "The 44 ms stall"): Debian's vpcd sends length and payload in two writes
 * without TCP_NODELAY, so every message waits ~40 ms for a delayed ACK. A card that connects through
 * 127.0.0.2, routed with `quickack 1`, ACKs at once: ~0.2 ms per APDU instead of ~44 ms.
 * Needs CAP_NET_ADMIN; without it, cards use 127.0.0.1 and pay the delay.
 */
import { execFileSync } from 'node:child_process';
import { findExecutable, isRoot } from './probes';

export const QUICKACK_HOST = '127.0.0.2';
export const PLAIN_LOOPBACK_HOST = '127.0.0.1';
const ROUTE = ['local', `${QUICKACK_HOST}/32`, 'dev', 'lo', 'table', 'local'];

function ip(args: string[]): string {
  const bin = findExecutable('ip');
  if (bin === null) throw new Error('the ip command (iproute2) is not installed');
  return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function hasQuickackRoute(): boolean {
  if (findExecutable('ip') === null) return false;
  try {
    return /\bquickack 1\b/.test(ip(['route', 'show', 'table', 'local', `${QUICKACK_HOST}/32`]));
  } catch {
    return false;
  }
}

/** Adds the route when permitted. Returns false (and changes nothing) when it cannot. */
export function addQuickackRoute(): boolean {
  if (!isRoot() || findExecutable('ip') === null) return false;
  try {
    ip(['route', 'replace', ...ROUTE, 'quickack', '1']);
    return true;
  } catch {
    return false; // e.g. "Operation not permitted" in an unprivileged container
  }
}

export function removeQuickackRoute(): void {
  try {
    ip(['route', 'del', ...ROUTE]);
  } catch {
    // already gone
  }
}

/** Where a card should connect to reach the local vpcd: 127.0.0.2 if the route is in place. */
export function vpcdCardHost(): string {
  return hasQuickackRoute() ? QUICKACK_HOST : PLAIN_LOOPBACK_HOST;
}
