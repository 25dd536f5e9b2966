/**
 * The provisioning bundle: a JSON file in Storage (PROVISIONING_FILE), written by
 * `tapcard flash --provision FILE` or by the emulator from `--provision FILE`. The board reads the
 * fields it needs here; everything else is handed through untouched to the parts that own it.
 *
 *   { "deviceId": "dev-0001",                  required: MQTT topics tapcard/v1/<deviceId>/...
 *     "broker": "mqtt://host:1883",            optional: platform broker
 *     "wifi": { "ssid": "...", "password": "..." },   optional: real boards only
 *     ... }                                     the rest (SE identity, keys) for the SE and the MCU
 */
import type { EspruinoStorage } from './espruino-api';

export interface ProvisioningBundle {
  deviceId: string;
  broker: string | null;
  wifiSsid: string | null;
  wifiPassword: string | null;
  /** The parsed JSON as stored, for the SE and MCU to read their own fields. */
  raw: { [key: string]: unknown };
}

/** Outcome of loading: the bundle, or why there is none (status() prints it). */
export interface ProvisioningResult {
  bundle: ProvisioningBundle | null;
  problem: string;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function loadProvisioning(storage: EspruinoStorage, fileName: string): ProvisioningResult {
  const text = storage.read(fileName);
  if (text === undefined) return { bundle: null, problem: 'no ' + fileName + ' in Storage (not provisioned)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { bundle: null, problem: fileName + ' is not JSON: ' + String(err) };
  }
  if (typeof parsed !== 'object' || parsed === null) return { bundle: null, problem: fileName + ' is not a JSON object' };
  const raw = parsed as { [key: string]: unknown };
  const deviceId = stringOrNull(raw.deviceId);
  if (deviceId === null || deviceId.length === 0) return { bundle: null, problem: fileName + ' has no deviceId' };
  const wifi = typeof raw.wifi === 'object' && raw.wifi !== null ? (raw.wifi as { [key: string]: unknown }) : {};
  return {
    bundle: {
      deviceId: deviceId,
      broker: stringOrNull(raw.broker),
      wifiSsid: stringOrNull(wifi.ssid),
      wifiPassword: stringOrNull(wifi.password),
      raw: raw,
    },
    problem: '',
  };
}
