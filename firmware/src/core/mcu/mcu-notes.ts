/**
 * The numbers the MCU (mcu.ts) and its management session (management-session.ts) report to
 * their shell. Constants only, so the bundler writes each value where it is used and the board
 * keeps no variable for it.
 */

/** A relay command was answered (value: its result); relay.job, seq and total say where the job is. */
export const NOTE_RELAYED = 16;
/** The last command of a job read back the card-manager record of its card (value: the slot). */
export const NOTE_INSTALLED = 17;
/** The granted session was open, manage() ran, and the session is closed with its keys wiped. */
export const NOTE_PERMISSION_DONE = 18;
/** No session (value: an MGMT_ERROR; session.lastSw holds the SE's status word, if it refused). */
export const NOTE_PERMISSION_REFUSED = 19;
/** The platform queued a download (text: the job id). */
export const NOTE_DOWNLOAD_QUEUED = 20;
/** The platform did not take the download (text: its reason; value: DOWNLOAD_REFUSED or DOWNLOAD_BUSY). */
export const NOTE_DOWNLOAD_REFUSED = 21;
/** NOTE_DOWNLOAD_REFUSED's values: refused for good, or busy (asking again later can succeed). */
export const DOWNLOAD_REFUSED = 0;
export const DOWNLOAD_BUSY = 1;
/** The request's PoR reported a link refusal (value: the PoR status) or did not verify; `settled` says which request. */
export const NOTE_REQUEST_REFUSED = 22;
/** The request got no PoR before its deadline; `settled` says which request. */
export const NOTE_NO_ANSWER = 23;

/** What a request is for. */
export const REQUEST_NONE = 0;
export const REQUEST_PERMISSION = 1;
export const REQUEST_DOWNLOAD = 2;

/** C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION (GPCS 11.1.2 / AmdD Table 7-3). */
export const MANAGEMENT_SECURITY_LEVEL = 0x33;

/** open() and send() failures (negative, so lengths stay non-negative). */
export const MGMT_ILLEGAL_STATE = -1;
export const MGMT_GRANT_REFUSED = -2;
export const MGMT_SE_REFUSED = -3;
export const MGMT_PROTECTION = -4;
