/**
 * PN532 frame vectors. Normal frames are the computed examples of PN532 User Manual §6.2.1 (checked against
 * the PN532 User Manual §6.2.1 rules); the extended and error frames follow UM §6.2.1.2/§6.2.1.5.
 * Only tests import this file.
 */
export interface FrameVector {
  name: string;
  hex: string;
  tfi: number;
  /** PD, command/response code first. */
  pd: string;
}

export const VECTORS: FrameVector[] = [
  { name: 'GetFirmwareVersion', hex: '0000ff02fed4022a00', tfi: 0xd4, pd: '02' },
  { name: 'GetFirmwareVersion reply (PN532 v1.6)', hex: '0000ff06fad50332010607e800', tfi: 0xd5, pd: '0332010607' },
  { name: 'SAMConfiguration normal, timeout 1 s, IRQ', hex: '0000ff05fbd4140114010200', tfi: 0xd4, pd: '14011401' },
  { name: 'SAMConfiguration reply', hex: '0000ff02fed5151600', tfi: 0xd5, pd: '15' },
  { name: 'InListPassiveTarget(1, 106A)', hex: '0000ff04fcd44a0100e100', tfi: 0xd4, pd: '4a0100' },
];

/** The PN532's syntax-error frame (UM §6.2.1.5). */
export const ERROR_FRAME_HEX = '0000ff01ff7f8100';
export const ACK_HEX = '0000ff00ff00';
export const NACK_HEX = '0000ffff0000';
