/**
 * Result codes of the SCP03 host session (negative, so a method can return a length or a code).
 * The host layer turns them into typed errors (contracts/card-errors.ts); the MCU maps them to its own
 * outcomes.
 */
export const SCP03_ERROR = {
  /** The call is not allowed in the session's current state. */
  WRONG_STATE: -1,
  /** KVN, challenge length, security level or key length out of range. */
  BAD_ARGUMENT: -2,
  /** No static key set given (or wiped). */
  NO_KEYS: -3,
  /** The card answered with an error status word; the session's lastSw holds it. */
  CARD_STATUS: -4,
  /** The response does not have the length its layout requires. */
  RESPONSE_LENGTH: -5,
  /** The key information names another secure channel protocol than 03. */
  NOT_SCP03: -6,
  /** The card used another key version than the one asked for. */
  KVN_MISMATCH: -7,
  /** The card asks for an option this host does not implement (S16 mode, AmdD v1.2). */
  UNSUPPORTED_OPTION: -8,
  /** The card's "i" parameter lacks the R-MAC / R-ENC the security level asks for. */
  LEVEL_NOT_SUPPORTED: -9,
  /** The card cryptogram is wrong: the card does not hold these keys. */
  CARD_CRYPTOGRAM: -10,
  /** The command to wrap is not a valid short APDU on a basic logical channel. */
  MALFORMED_COMMAND: -11,
  /** The wrapped command would not fit a short APDU (Lc > 255). */
  COMMAND_TOO_LONG: -12,
  /** The output buffer is too small. */
  OUTPUT_TOO_SMALL: -13,
  /** The R-MAC is missing or wrong. */
  RESPONSE_MAC: -14,
  /** The R-ENC ciphertext is not whole blocks or its 80 padding is wrong. */
  RESPONSE_PADDING: -15,
} as const;

const TEXT: { [code: number]: string } = {
  [-1]: 'call not allowed in this secure channel state',
  [-2]: 'argument out of range',
  [-3]: 'no static keys set',
  [-4]: 'card answered with an error status word',
  [-5]: 'response has the wrong length',
  [-6]: 'card does not speak SCP03',
  [-7]: 'card used another key version',
  [-8]: 'card asks for an unsupported SCP03 option (S16 mode)',
  [-9]: 'card does not support the requested security level',
  [-10]: 'card cryptogram mismatch (wrong keys?)',
  [-11]: 'command is not a short APDU on a basic logical channel',
  [-12]: 'wrapped command exceeds 255 data bytes',
  [-13]: 'output buffer too small',
  [-14]: 'response MAC missing or wrong',
  [-15]: 'response decryption failed (bad length or padding)',
};

export function scp03ErrorText(code: number): string {
  const t = TEXT[code];
  return t === undefined ? 'unknown SCP03 result ' + code : t;
}

/** The name of a code in SCP03_ERROR (for typed errors and logs). */
export function scp03ErrorName(code: number): string {
  const names = Object.keys(SCP03_ERROR) as Array<keyof typeof SCP03_ERROR>;
  for (let i = 0; i < names.length; i++) if (SCP03_ERROR[names[i]] === code) return names[i];
  return 'UNKNOWN';
}
