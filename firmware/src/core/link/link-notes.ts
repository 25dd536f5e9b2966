/**
 * What the device's end of the link (device-link.ts) tells its sink about packets it refused.
 * Constants only, so the bundler writes each value where it is used.
 */
/** value: the reassembly, PoR or RESPONSE code. */
export const LINK_FRAME_REFUSED = 1;
export const LINK_COMMAND_REFUSED = 2;
export const LINK_POR_REFUSED = 3;
