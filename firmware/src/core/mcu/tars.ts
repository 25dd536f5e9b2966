/**
 * Toolkit application references (TS 102 225 §5.1.1 TAR; TS 101 220 Annex D reserves B0..BF and
 * 000000 for the card; these sit in the proprietary range) of the terminal <-> platform link.
 *
 *   platform side (device -> platform requests, answered in the PoR)
 *     TAR_PERMISSION        the MCU asks for the right to manage its SE (flow 1)
 *     TAR_DOWNLOAD_REQUEST  the user picked an application at the terminal (flow 2)
 *   device side (platform -> device commands)
 *     TAR_MCU_RELAY         the MCU's relay toward the SE's secure channel module (flow 2)
 */
export const TAR_PERMISSION = 0x545001;
export const TAR_DOWNLOAD_REQUEST = 0x545002;
export const TAR_MCU_RELAY = 0x544d01;
