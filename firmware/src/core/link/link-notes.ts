/**
 * What an end of the link (link-endpoint.ts) tells its sink about packets it refused
 * and copies it recognised.
 * Constants only, so the bundler writes each value where it is used.
 */
/** value: the reassembly, PoR or RESPONSE code. */
export const LINK_FRAME_REFUSED = 1;
export const LINK_COMMAND_REFUSED = 2;
export const LINK_POR_REFUSED = 3;
/**
 * A copy of a packet already handled (MQTT QoS 1 redelivery), not a refusal. value: COPY_OF_LAST
 * (the last command again: its PoR was sent again), COPY_OF_EARLIER (an earlier command: dropped;
 * answered-command.ts) or COPY_OF_POR (the PoR of a request already settled: dropped).
 */
export const LINK_COPY = 4;
export const COPY_OF_POR = 3;
