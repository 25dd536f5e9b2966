/**
 * Response status codes of a proof of receipt (ETSI TS 102 225 §5.2.2 table 5, TS 31.115 §7;
 * ETSI TS 102 225 §5.1; 3GPP TS 31.115 §4). The one place they are defined.
 */
export const POR = {
  OK: 0x00,
  RC_CC_DS_FAILED: 0x01,
  CNTR_LOW: 0x02,
  CNTR_HIGH: 0x03,
  CNTR_BLOCKED: 0x04,
  CIPHERING_ERROR: 0x05,
  UNIDENTIFIED_SECURITY_ERROR: 0x06,
  INSUFFICIENT_MEMORY: 0x07,
  MORE_TIME: 0x08,
  TAR_UNKNOWN: 0x09,
  INSUFFICIENT_SECURITY_LEVEL: 0x0a,
  RESPONSE_IN_SMS_SUBMIT: 0x0b,
  RESPONSE_IN_USSD: 0x0c,
} as const;

export const POR_TEXT: { [status: number]: string } = {
  0x00: 'PoR OK',
  0x01: 'RC/CC/DS failed',
  0x02: 'CNTR low (replay)',
  0x03: 'CNTR high',
  0x04: 'CNTR blocked',
  0x05: 'ciphering error',
  0x06: 'unidentified security error',
  0x07: 'insufficient memory to process incoming message',
  0x08: 'more time needed',
  0x09: 'TAR unknown',
  0x0a: 'insufficient security level',
  0x0b: 'actual response data sent in SMS-SUBMIT',
  0x0c: 'actual response data sent in USSD',
};

export function porText(status: number): string {
  const hex = (status < 16 ? '0' : '') + status.toString(16).toUpperCase();
  const text = POR_TEXT[status];
  return hex + ' ' + (text === undefined ? 'reserved status' : text);
}
