/**
 * What `status()` prints on the Espruino console: one "key: value" line per part of the board, so
 * people and scripts (the emulator tests, `tapcard flash` checks) read the same text.
 */
import type { FirmwareVersion } from './pn532';
import type { EmulationCounters } from './card-emulation';

export interface BoardStatus {
  build: string;
  espruino: string;
  deviceId: string | null;
  provisioningProblem: string;
  pn532Firmware: FirmwareVersion | null;
  pn532State: string;
  pn532LastError: string;
  emulation: EmulationCounters | null;
  secureElement: string;
  store: string;
  link: string;
  memoryFree: number;
  memoryTotal: number;
}

function hex2(v: number): string {
  return (v < 16 ? '0' : '') + v.toString(16);
}

/** UM §7.2.2 "Support" bits: b0 ISO 14443A, b1 ISO 14443B, b2 ISO 18092. */
function supportNames(support: number): string {
  const names: string[] = [];
  if ((support & 1) !== 0) names.push('14443A');
  if ((support & 2) !== 0) names.push('14443B');
  if ((support & 4) !== 0) names.push('18092');
  return names.join(',');
}

export function statusLines(s: BoardStatus): string[] {
  const lines: string[] = [];
  lines.push('tapcard: ' + s.build + ' on Espruino ' + s.espruino);
  lines.push('device: ' + (s.deviceId === null ? 'not provisioned (' + s.provisioningProblem + ')' : s.deviceId));
  const fw = s.pn532Firmware;
  lines.push(
    'pn532: ' +
      (fw === null || fw.ic === 0
        ? 'not answering'
        : 'IC ' + hex2(fw.ic) + ' v' + fw.version + '.' + fw.revision + ' (' + supportNames(fw.support) + ')') +
      ', state ' + s.pn532State +
      (s.pn532LastError === '' ? '' : ', last error ' + s.pn532LastError),
  );
  const e = s.emulation;
  if (e !== null) {
    lines.push('rf: ' + e.activations + ' activations, ' + e.apdus + ' APDUs, ' + e.resets + ' chip resets, ' + e.cardErrors + ' card errors');
  }
  lines.push('se: ' + s.secureElement);
  lines.push('store: ' + s.store);
  lines.push('link: ' + s.link);
  lines.push('memory: ' + s.memoryFree + ' of ' + s.memoryTotal + ' vars free');
  return lines;
}
