/**
 * The provisioning bundle ("tapcard-provisioning/1", contracts/provisioning-bundle.ts) as the
 * board reads it from Storage (PROVISIONING_FILE), written there by `tapcard flash --provision`
 * or by the emulator's `--provision`. The board takes what it uses and checks it field by field:
 *
 *   deviceId                     MQTT client id and topic level
 *   broker.url, upTopic, downTopic, username, password, frameSize
 *   se.serial (10 bytes hex), se.isdKeyVersion, se.isd.enc/mac/dek (AES-128 hex)
 *   link.keyIndex, link.kic, link.kid (TS 102 225 keys, AES-128 hex), link.quietSeconds (optional,
 *   LINK_QUIET_SECONDS when absent: how long the platform may be silent during a job before the
 *   board gives the job up and is a card again; mcu-link.ts)
 *
 * The TLS PEMs are not used on the board (MQTT over the plain listener; docs/board.md).
 * Keys leave this module only as byte arrays for the SE and the link, never as text in logs.
 */
import { fromHex } from '../../core/hex';
import { BUNDLE_FORMAT } from '../../../../contracts/provisioning-format';
import type { EspruinoStorage } from './espruino-api';
import { LINK_QUIET_SECONDS } from './board-config';

const SE_SERIAL_LEN = 10;
const AES128_LEN = 16;

export interface BrokerSettings {
  url: string;
  upTopic: string;
  downTopic: string;
  username: string;
  password: string;
  frameSize: number;
}

export interface SeProvisioning {
  serial: Uint8Array;
  isdKeyVersion: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export interface LinkKeys {
  keyIndex: number;
  kic: Uint8Array;
  kid: Uint8Array;
  quietSeconds: number;
}

export interface ProvisioningBundle {
  deviceId: string;
  broker: BrokerSettings;
  se: SeProvisioning;
  link: LinkKeys;
}

/** The bundle, or why there is none (status() prints it). */
export interface ProvisioningResult {
  bundle: ProvisioningBundle | null;
  problem: string;
}

type Json = { [key: string]: unknown };

/** Field errors are plain Errors: tsc's ES5 output of `extends Error` loses the subclass (instanceof). */
function fieldError(message: string): Error {
  return new Error(message);
}

function objectField(o: Json, name: string, path: string): Json {
  const v = o[name];
  if (typeof v !== 'object' || v === null) throw fieldError(path + name + ': expected an object');
  return v as Json;
}

function stringField(o: Json, name: string, path: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v.length === 0) throw fieldError(path + name + ': expected a string');
  return v;
}

function intField(o: Json, name: string, path: string, min: number, max: number): number {
  const v = o[name];
  if (typeof v !== 'number' || Math.floor(v) !== v || v < min || v > max) {
    throw fieldError(path + name + ': expected an integer ' + min + '..' + max);
  }
  return v;
}

function bytesField(o: Json, name: string, path: string, length: number): Uint8Array {
  const text = stringField(o, name, path);
  if (text.length !== 2 * length || !/^[0-9a-f]*$/.test(text)) {
    throw fieldError(path + name + ': expected ' + 2 * length + ' lower-case hex digits');
  }
  return fromHex(text);
}

export function parseProvisioning(raw: unknown): ProvisioningBundle {
  if (typeof raw !== 'object' || raw === null) throw fieldError('(root): expected a JSON object');
  const b = raw as Json;
  if (b.format !== BUNDLE_FORMAT) throw fieldError('format: expected "' + BUNDLE_FORMAT + '"');
  const broker = objectField(b, 'broker', '');
  const se = objectField(b, 'se', '');
  const isd = objectField(se, 'isd', 'se.');
  const link = objectField(b, 'link', '');
  return {
    deviceId: stringField(b, 'deviceId', ''),
    broker: {
      url: stringField(broker, 'url', 'broker.'),
      upTopic: stringField(broker, 'upTopic', 'broker.'),
      downTopic: stringField(broker, 'downTopic', 'broker.'),
      username: stringField(broker, 'username', 'broker.'),
      password: stringField(broker, 'password', 'broker.'),
      frameSize: intField(broker, 'frameSize', 'broker.', 10, 65535),
    },
    se: {
      serial: bytesField(se, 'serial', 'se.', SE_SERIAL_LEN),
      isdKeyVersion: intField(se, 'isdKeyVersion', 'se.', 1, 0x7f),
      enc: bytesField(isd, 'enc', 'se.isd.', AES128_LEN),
      mac: bytesField(isd, 'mac', 'se.isd.', AES128_LEN),
      dek: bytesField(isd, 'dek', 'se.isd.', AES128_LEN),
    },
    link: {
      keyIndex: intField(link, 'keyIndex', 'link.', 1, 15),
      kic: bytesField(link, 'kic', 'link.', AES128_LEN),
      kid: bytesField(link, 'kid', 'link.', AES128_LEN),
      quietSeconds: link.quietSeconds === undefined ? LINK_QUIET_SECONDS : intField(link, 'quietSeconds', 'link.', 1, 3600),
    },
  };
}

export function loadProvisioning(storage: EspruinoStorage, fileName: string): ProvisioningResult {
  const text = storage.read(fileName);
  if (text === undefined) return { bundle: null, problem: 'no ' + fileName + ' in Storage' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { bundle: null, problem: fileName + ': not JSON' };
  }
  try {
    // the call that may throw is the literal's last property: Espruino loses an exception thrown
    // by an earlier one inside a try (tools/firmware/try-object-literal.ts)
    return { problem: '', bundle: parseProvisioning(json) };
  } catch (err) {
    return { bundle: null, problem: fileName + ': ' + (err as Error).message };
  }
}
