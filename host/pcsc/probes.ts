/** Small Linux probes the pcscd helpers need: executables, privileges, listening ports, socket liveness. */
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Debian keeps daemons in sbin, which a non-root PATH often lacks. */
const SBIN_DIRS = ['/usr/sbin', '/sbin'];

/** Absolute path of an executable found on PATH or in sbin, or null. */
export function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').concat(SBIN_DIRS);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

export function fileExists(file: string): boolean {
  try {
    accessSync(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** TCP state LISTEN in /proc/net/tcp (include/net/tcp_states.h). */
const TCP_LISTEN = '0A';

/**
 * Whether something listens on a TCP port, read from /proc/net/tcp{,6}. Deliberately not a connect
 * probe: vpcd would take a probe connection for a card.
 */
export function tcpPortListening(port: number): boolean {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 3 && fields[1].endsWith(`:${portHex}`) && fields[3] === TCP_LISTEN) return true;
    }
  }
  return false;
}

/** Whether a process accepts connections on a Unix socket (false for a stale socket file). */
export function unixSocketAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether a pid belongs to a running process with the given command name (/proc/PID/comm). */
export function processRunning(pid: number, comm: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
  } catch {
    return false;
  }
}
