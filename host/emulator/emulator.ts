/**
 * Starts an emulated board the way `tapcard emulate` does: state directory, firmware bundle in
 * .bootcde, provisioning bundle in Storage, serial console, vpcd RF link, power on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readBundle } from '../../contracts/provisioning-bundle';
import { EmulatedBoard } from './emulated-board';
import { RfCardLink } from './rf-card-link';
import { parseSerialSpec, type SerialEndpoint, startPtyConsole, startTcpConsole } from './serial-console';

export interface EmulatorOptions {
  stateDir: string;
  /** Provisioning bundle (JSON) to store on the board; omitted: keep what Storage holds. */
  provisionFile?: string;
  /** Firmware bundle to install as .bootcde before power-on; null: boot what Storage holds. */
  firmwareFile: string | null;
  /** Overrides the provisioning bundle's broker.url. */
  broker?: string;
  /** tcp://HOST:PORT or pty. */
  serial?: string;
  /** vpcd reader to tap the board (pcscd's vpcd or pos-sim direct mode). */
  vpcd?: { host: string; port: number };
  onWarning?: (message: string) => void;
}

export interface RunningEmulator {
  board: EmulatedBoard;
  serial: SerialEndpoint | null;
  rf: RfCardLink | null;
  stop(): Promise<void>;
}

export class EmulatorSetupError extends Error {}

/**
 * Reads a provisioning bundle (platform-server/src/pki/bundle.ts, `tapcard platform provision`)
 * for the board, checked with the platform's own parser, optionally pointing it at another broker.
 */
export function readProvisioning(file: string, broker?: string): string {
  let bundle;
  try {
    bundle = readBundle(file);
  } catch (err) {
    throw new EmulatorSetupError(`--provision: ${(err as Error).message}`);
  }
  if (broker !== undefined) {
    if (!/^mqtts?:\/\/[^/]+/.test(broker)) throw new EmulatorSetupError(`--broker must be mqtt://HOST:PORT or mqtts://HOST:PORT, got '${broker}'`);
    bundle.broker.url = broker;
  }
  return JSON.stringify(bundle);
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  // check every input before the state directory is touched
  const provisioning = options.provisionFile !== undefined ? readProvisioning(options.provisionFile, options.broker) : null;
  if (options.firmwareFile !== null && !fs.existsSync(options.firmwareFile)) {
    throw new EmulatorSetupError(`firmware bundle ${options.firmwareFile} not found; run: npm run build:firmware`);
  }
  const serialSpec = options.serial !== undefined ? parseSerialSpec(options.serial) : null;
  const board = new EmulatedBoard(path.resolve(options.stateDir));
  if (options.firmwareFile !== null) board.installFirmware(fs.readFileSync(options.firmwareFile, 'latin1'));
  if (provisioning !== null) board.writeProvisioning(provisioning);

  let serial: SerialEndpoint | null = null;
  if (serialSpec !== null) {
    serial = serialSpec.kind === 'tcp'
      ? await startTcpConsole(board, serialSpec.host, serialSpec.port)
      : await startPtyConsole(board, path.join(board.stateDir, 'tty'));
  }
  let rf: RfCardLink | null = null;
  if (options.vpcd !== undefined) {
    rf = new RfCardLink(board.pn532, { host: options.vpcd.host, port: options.vpcd.port, onWarning: options.onWarning });
    rf.start();
  }
  board.powerOn();
  return {
    board,
    serial,
    rf,
    stop: async () => {
      if (rf !== null) await rf.stop();
      board.powerOff('emulator stopped');
      if (serial !== null) await serial.close();
    },
  };
}
