/**
 * `tapcard platform init | start | provision | devices`: the service platform.
 * Every subcommand takes --data DIR (default ./.tapcard/platform) and --json; output never carries
 * key material, only KCVs and serials.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { listDevices } from '../platform-server/src/db/devices';
import { deviceView } from '../platform-server/src/http/server';
import { createLog } from '../platform-server/src/log';
import { MqttConnectError } from '../net/mqtt/client';
import { writeBundle } from '../contracts/provisioning-bundle';
import { DEFAULT_DATA_DIR, Platform, initPlatform } from '../platform-server/src/platform-home';
import { provisionDevice } from '../platform-server/src/provision';
import { startPlatform, type StartOptions } from '../platform-server/src/server';
import { applyHeapPolicy } from '../platform-server/src/heap-policy';
import { DeviceLeases } from '../platform-server/src/workers/device-leases';
import { attachFlows } from '../platform-server/src/flows/flows';
import type { DpuOptions } from '../platform-server/src/flows/data-processing-unit';
import { downloadCommand, jobsCommand } from './platform-jobs';
import { deleteCommand, statusCommand } from './platform-delete-status';
import { writeMosquittoFiles } from '../platform-server/src/mosquitto-files';
import { accountAddCommand, payerCodeCommand, terminalAddCommand } from './platform-terminals';
import { reconcileCommand } from './platform-reconcile';
import { operatorPasswordCommand } from './platform-operator-password';
import { terminalApi } from '../platform-server/src/terminals/terminal-api';
import { operatorConsole } from '../platform-server/src/web/console-api';
import { issuerAdapters } from '../platform-server/src/terminals/terminal-services';
import { portOption, runCommand, runSubcommand, UsageError, type CommandBody, type CommandOptions, type Subcommands } from './command';
import { PLATFORM_OPTIONS, withPlatform } from './platform-options';
import { EXIT } from '../contracts/exit-codes';
import { startSimulatedParties } from './simulated-parties';

const HELP = `usage: tapcard platform <init|start|worker|provision|devices|jobs|download|delete|status|terminal-add|account-add|payer-code|reconcile|operator-password|broker-cert> [options]

  init        create the platform in --data DIR: storage key, CA, master key, broker certificates
  start       run the platform: embedded MQTT broker (or --broker URL), platform link, HTTP API
  worker      run one of several platform processes sharing an external broker and PostgreSQL
  provision   create a device: key + certificate, SE serial + ISD keys, link keys -> bundle FILE
  devices     list provisioned devices
  jobs        list permission, download, delete and status jobs with their progress
  download    queue an application download to a device (--device ID --app APP [--wait])
  delete      queue the removal of an application from a device's SE (--device ID --app APP|--aid AID [--wait])
  status      read a device's SE registry, reconcile it with the platform's records (--device ID [--wait])
  terminal-add  register a POS terminal of the terminal API (--id ID --role ROLE); prints its key once
  account-add   open a payment-system or bank account (--system payment|bank --id ID --balance A)
  broker-cert   mosquitto's TLS certificate, key, ACL and configuration from the platform CA (--out DIR)
  payer-code    a one-use payment code from an account's holder (--system payment|bank --id ID --max A)
  reconcile     money: cards, ledgers, recharge orders and accounts conserve it (--card NUMBER=AMOUNT ...), exit 1 on a mismatch
  operator-password  replace the operator console's credential (--password-file FILE, standard input, or --generate)

Common options:
  --data DIR   platform data directory (default ${DEFAULT_DATA_DIR})
  --db URL     the platform's database: postgres://user@host/db (several workers share it) or a
               SQLite file (default: $TAPCARD_DB, else DIR/platform.db); the other subcommands
               read TAPCARD_DB
  --json       machine-readable output
  --help       this text, or a subcommand's ('tapcard platform start --help')
`;

const HELP_INIT = `usage: tapcard platform init [--data DIR] [--name NAME] [--broker-url URL] [--broker-host HOST]... [--json]

Creates the platform in DIR (refuses an existing one): the SQLite database, the platform CA
(DIR/ca.pem), the master key KMC, the embedded broker's TLS certificate and the platform's own MQTT
client certificate. Secrets are sealed in the database under the storage key, taken from
TAPCARD_STORAGE_KEY (64 hex digits) or, for development only, generated into DIR/storage.key.

  --name NAME          name in the CA certificate (default dev)
  --broker-url URL     broker URL written into provisioning bundles (default mqtt://127.0.0.1:1883)
  --broker-host HOST   host name or address in the broker's TLS certificate (repeatable;
                       default localhost, 127.0.0.1, ::1)
`;

const HELP_START = `usage: tapcard platform start [--data DIR] [--mqtt-port N] [--mqtts-port N] [--http-port N]
                              [--host ADDR] [--broker URL] [--worker-id ID] [--share-group NAME] [--json]

Runs the platform until SIGINT or SIGTERM. Without --broker it starts the embedded MQTT broker.
Ports given as 0 are picked free and printed.

  --mqtt-port N    embedded broker, plain listener with user name + password (default 1883);
                   'off': no plain listener, devices connect over TLS only (needs --mqtts-port)
  --mqtts-port N   embedded broker, TLS listener requiring client certificates from the CA (off unless given)
  --http-port N    HTTP API (default 8080)
  --host ADDR      interface for the embedded broker and the HTTP API (default 127.0.0.1)
  --broker URL     use an external broker (mqtt://[user:pass@]host:port or mqtts://host:port with
                   the platform's client certificate) instead of the embedded one
  --worker-id ID   MQTT client id suffix when several platform workers share one broker (default main)
  --share-group NAME  with --broker: the shared subscription group ($share/NAME/...) of this
                   platform's processes (default platform); platforms that share one broker
                   need a group each (1-32 letters, digits, - or _)
  --json           log as JSON lines on stdout; {"event":"platform.ready",...} says it is up
`;

const HELP_WORKER = `usage: tapcard platform worker --broker URL --worker-id ID [--db postgres://...] [--data DIR]
                               [--http-port N] [--host ADDR] [--lease-ms N] [--share-group NAME] [--json]

Runs one platform worker until SIGINT or SIGTERM. Any number of workers share one external broker
(MQTT shared subscriptions) and one PostgreSQL database (--db, or TAPCARD_DB); each serves the
devices whose lease it holds, runs their jobs, and answers any terminal on its HTTP API. A worker
that dies hands its devices over when its leases expire; its jobs resume from their last
acknowledged command on another worker. See docs/deployment.md.

  --broker URL     the shared broker (mqtt://[user:pass@]host:port or mqtts://host:port)
  --worker-id ID   this worker's name, unique among the workers (1-12 letters, digits, - or _)
  --http-port N    HTTP API (default 8080; 0 = a free port, printed)
  --host ADDR      interface for the HTTP API (default 127.0.0.1)
  --lease-ms N     how long a device stays with a silent worker before another takes it (default 10000)
  --por-timeout-ms N  how long a job waits for a device's PoR before sending the command again (default 10000)
  --share-group NAME  the shared subscription group ($share/NAME/...) the workers of one platform
                   take their devices' frames from (default platform); every worker of a platform
                   gives the same NAME, and platforms that share one broker need a group each
                   (1-32 letters, digits, - or _)
  --json           log as JSON lines on stdout; {"event":"platform.ready",...} says it is up
`;

const HELP_PROVISION = `usage: tapcard platform provision --device ID --out FILE [--data DIR] [--db URL] [--broker URL] [--json]

Creates device ID: its key and certificate (CA-signed, CN=ID), a new SE serial with the SE's ISD
keys diversified from the master key, a link key set (KIc/KID), and an MQTT password. Writes the
provisioning bundle FILE (mode 0600, never overwritten). The bundle holds secrets: hand it to the
device and delete it. Printed: serials and key check values only.

  --device ID    1-23 letters, digits, '-' or '_'
  --out FILE     bundle to write
  --broker URL   broker URL for the device (default: the platform's, see init --broker-url)
`;

const HELP_DEVICES = `usage: tapcard platform devices [--data DIR] [--db URL] [--json]

Lists provisioned devices: id, status, SE serial, certificate serial, created and last seen.
`;

const COMMON = {
  ...PLATFORM_OPTIONS,
  json: { type: 'boolean', default: false },
} as const satisfies CommandOptions;

/** A platform subcommand: the common options, then its own. */
function platformCommand<T extends CommandOptions>(name: string, help: string, options: T, argv: string[], body: CommandBody<typeof COMMON & T>): Promise<number> {
  return runCommand({ name: `platform ${name}`, help, options: { ...COMMON, ...options } }, argv, body);
}

const SUBCOMMANDS: Subcommands = {
  init,
  start,
  worker,
  provision,
  devices,
  jobs: jobsCommand,
  download: downloadCommand,
  delete: deleteCommand,
  status: statusCommand,
  'terminal-add': terminalAddCommand,
  'account-add': accountAddCommand,
  'payer-code': payerCodeCommand,
  reconcile: reconcileCommand,
  'operator-password': operatorPasswordCommand,
  'broker-cert': brokerCert,
};

export async function run(argv: string[]): Promise<number> {
  try {
    return await runSubcommand('platform', HELP, SUBCOMMANDS, argv);
  } catch (err) {
    console.error(`tapcard platform ${argv[0]}: ${(err as Error).message}`);
    return err instanceof MqttConnectError ? EXIT.UNAVAILABLE : EXIT.FAILURE;
  }
}

function init(argv: string[]): Promise<number> {
  return platformCommand('init', HELP_INIT, {
    name: { type: 'string' },
    'broker-url': { type: 'string' },
    'broker-host': { type: 'string', multiple: true },
  }, argv, async (v) => {
    const s = await initPlatform(v.data, { db: v.db, name: v.name, brokerUrl: v['broker-url'], brokerHosts: v['broker-host'] });
    if (v.json) {
      console.log(JSON.stringify(s));
    } else {
      console.log(`platform initialised in ${s.dataDir}`);
      console.log(`  database      ${s.dbFile}`);
      console.log(`  CA cert       ${s.caCertFile}`);
      console.log(
        s.storageKey.source === 'file'
          ? `  storage key   ${s.storageKey.file} (KCV ${s.storageKey.kcv}) -- DEVELOPMENT ONLY: set TAPCARD_STORAGE_KEY in production`
          : `  storage key   from TAPCARD_STORAGE_KEY (KCV ${s.storageKey.kcv})`,
      );
      console.log(`  master key    KCV ${s.kmcKcv}`);
      console.log(`  broker URL    ${s.brokerUrl} (for bundles)`);
      console.log(`  operator      ${s.operatorCredential} (the console's credential at /console/; shown once, only its hash is kept)`);
    }
    return EXIT.OK;
  });
}

function start(argv: string[]): Promise<number> {
  return platformCommand('start', HELP_START, {
    'mqtt-port': { type: 'string', default: '1883' },
    'mqtts-port': { type: 'string' },
    'http-port': { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    broker: { type: 'string' },
    'worker-id': { type: 'string' },
    'share-group': { type: 'string' },
  }, argv, async (v) => {
    const mqttPort = v['mqtt-port'] === 'off' ? null : portOption('mqtt-port', v['mqtt-port']);
    const mqttsPort = v['mqtts-port'] === undefined ? undefined : portOption('mqtts-port', v['mqtts-port']);
    if (mqttPort === null && mqttsPort === undefined && v.broker === undefined) throw new UsageError('--mqtt-port off: give --mqtts-port, or devices cannot connect');
    const httpPort = portOption('http-port', v['http-port']);
    if (v.broker !== undefined && !/^mqtts?:\/\/[^/]+/.test(v.broker)) throw new UsageError(`--broker: expected mqtt://host:port or mqtts://host:port`);
    if (v['worker-id'] !== undefined && !WORKER_ID.test(v['worker-id'])) throw new UsageError('--worker-id: 1-12 letters, digits, - or _');
    const shareGroup = shareGroupOption(v['share-group']);
    if (shareGroup !== undefined && v.broker === undefined) throw new UsageError('--share-group: only with --broker (the embedded broker serves one platform)');

    const platform = Platform.open(v.data, process.env, v.db);
    return serve(platform, v.json, { mqttPort, mqttsPort, httpPort, host: v.host, broker: v.broker, workerId: v['worker-id'], shareGroup }, {});
  });
}

const WORKER_ID = /^[A-Za-z0-9_-]{1,12}$/;
const SHARE_GROUP = /^[A-Za-z0-9_-]{1,32}$/;

function shareGroupOption(value: string | undefined): string | undefined {
  if (value !== undefined && !SHARE_GROUP.test(value)) throw new UsageError('--share-group: 1-32 letters, digits, - or _');
  return value;
}

function worker(argv: string[]): Promise<number> {
  return platformCommand('worker', HELP_WORKER, {
    'http-port': { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    broker: { type: 'string' },
    'worker-id': { type: 'string' },
    'lease-ms': { type: 'string', default: '10000' },
    'por-timeout-ms': { type: 'string', default: '10000' },
    'share-group': { type: 'string' },
  }, argv, async (v) => {
    if (v.broker === undefined || !/^mqtts?:\/\/[^/]+/.test(v.broker)) throw new UsageError('--broker: the shared broker, mqtt://host:port or mqtts://host:port');
    if (v['worker-id'] === undefined || !WORKER_ID.test(v['worker-id'])) throw new UsageError('--worker-id: 1-12 letters, digits, - or _, unique among the workers');
    const leaseMs = Number(v['lease-ms']);
    if (!Number.isInteger(leaseMs) || leaseMs < 300 || leaseMs > 600_000) throw new UsageError('--lease-ms: 300..600000');
    const porTimeoutMs = Number(v['por-timeout-ms']);
    if (!Number.isInteger(porTimeoutMs) || porTimeoutMs < 100 || porTimeoutMs > 600_000) throw new UsageError('--por-timeout-ms: 100..600000');
    const httpPort = portOption('http-port', v['http-port']);
    const shareGroup = shareGroupOption(v['share-group']);
    const platform = Platform.open(v.data, process.env, v.db);
    if (platform.db.dialect !== 'postgres') {
      platform.close();
      throw new UsageError('workers share one PostgreSQL database: give --db postgres://... (or TAPCARD_DB)');
    }
    const leases = new DeviceLeases(platform.db, v['worker-id'], leaseMs);
    return serve(platform, v.json, { mqttPort: null, httpPort, host: v.host, broker: v.broker, workerId: v['worker-id'], shareGroup, leases }, { leases, porTimeoutMs });
  });
}

/** Runs the platform (alone, or as one worker with its leases) until SIGINT or SIGTERM. */
async function serve(platform: Platform, json: boolean, opts: Omit<StartOptions, 'log' | 'httpRoutes'>, dpuOptions: DpuOptions): Promise<number> {
  const leases = dpuOptions.leases ?? null;
  const log = json ? createLog((line) => console.log(line), 'json') : createLog((line) => console.error(line), 'text');
  // The simulated parties (transit, bank, merchant, third-party payment) in process on their own
  // store: download adapters and the services behind the terminal API (/v1/terminal/).
  let parties;
  try {
    parties = startSimulatedParties(platform);
  } catch (err) {
    platform.close();
    throw err;
  }
  const services = parties.services;
  applyHeapPolicy();
  leases?.start();
  let running;
  try {
    running = await startPlatform(platform, { ...opts, httpRoutes: [terminalApi(services, log), operatorConsole(platform, services)], log });
  } catch (err) {
    leases?.release();
    parties.close();
    platform.close();
    throw err;
  }
  const dpu = attachFlows(platform, running.link, log, { ...dpuOptions, issuers: issuerAdapters(services) });
  if (json) {
    log('platform.ready', { mqtt: running.mqtt, http: running.httpUrl, dataDir: platform.dataDir, workerId: leases?.workerId ?? null });
  } else {
    console.log(`platform ${leases === null ? '' : `worker ${leases.workerId} `}running (data ${platform.dataDir})`);
    if (running.mqtt.url !== running.mqtt.tlsUrl) console.log(`  mqtt   ${running.mqtt.url}${running.mqtt.embedded ? ' (embedded broker)' : ' (external broker)'}`);
    if (running.mqtt.tlsUrl !== null) console.log(`  mqtts  ${running.mqtt.tlsUrl} (client certificates from ${platform.dataDir}/ca.pem)`);
    console.log(`  http   ${running.httpUrl} (operator console ${running.httpUrl}/console/)`);
    console.log('Ctrl-C stops.');
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log('platform.stopping', { signal });
  dpu.close();
  leases?.release();
  await running.close();
  parties.close();
  platform.close();
  log('platform.stopped', {});
  return EXIT.OK;
}

function provision(argv: string[]): Promise<number> {
  return platformCommand('provision', HELP_PROVISION, {
    device: { type: 'string' },
    out: { type: 'string' },
    broker: { type: 'string' },
  }, argv, async (v) => {
    const { device, out } = v;
    if (device === undefined || out === undefined) throw new UsageError('--device ID and --out FILE are required');
    if (existsSync(out)) throw new UsageError(`--out ${out} exists; a bundle is never overwritten`);
    return withPlatform(v, async (platform) => {
      const { bundle, summary } = await provisionDevice(platform, { deviceId: device, brokerUrl: v.broker });
      writeBundle(out, bundle);
      if (v.json) {
        console.log(JSON.stringify({ ...summary, bundle: v.out }));
      } else {
        console.log(`device ${summary.deviceId} provisioned -> ${v.out} (mode 0600; holds secrets)`);
        console.log(`  SE serial     ${summary.seSerial}`);
        console.log(`  certificate   serial ${summary.certSerial}`);
        console.log(`  broker        ${summary.brokerUrl}`);
        console.log(`  ISD keys KCV  ENC ${summary.kcv.isdEnc}  MAC ${summary.kcv.isdMac}  DEK ${summary.kcv.isdDek}`);
        console.log(`  link keys KCV KIc ${summary.kcv.kic}  KID ${summary.kcv.kid}`);
      }
      return EXIT.OK;
    });
  });
}

function devices(argv: string[]): Promise<number> {
  return platformCommand('devices', HELP_DEVICES, {}, argv, (v) =>
    withPlatform(v, (platform) => {
      const list = listDevices(platform.db).map(deviceView);
      if (v.json) {
        console.log(JSON.stringify({ devices: list }));
      } else if (list.length === 0) {
        console.log('no devices provisioned');
      } else {
        const rows = list.map((d) => [d.id, d.status, d.seSerial, d.createdAt, d.lastSeenAt ?? 'never'].map(String));
        const head = ['DEVICE', 'STATUS', 'SE SERIAL', 'CREATED', 'LAST SEEN'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
      }
      return EXIT.OK;
    }),
  );
}

const HELP_BROKER_CERT = `usage: tapcard platform broker-cert --out DIR [--port N] [--bind ADDR] [--data DIR] [--json]

Writes what mosquitto needs to carry the link with TLS client certificates from the platform CA
(platform-server/README.md "External broker"): DIR/ca.pem, DIR/broker.crt, DIR/broker.key (mode
0600: the broker's private key), DIR/tapcard.acl (each device reads and writes only its own topics,
the platform all of them) and DIR/mosquitto.conf (listener on port N, default 8883). Start it with
'mosquitto -c DIR/mosquitto.conf' (mosquitto must be able to read broker.key: chown it to the user
mosquitto runs as), then 'tapcard platform start --broker mqtts://HOST:N'.
`;

function brokerCert(argv: string[]): Promise<number> {
  return platformCommand('broker-cert', HELP_BROKER_CERT, { out: { type: 'string' }, port: { type: 'string', default: '8883' }, bind: { type: 'string', default: '0.0.0.0' } }, argv, async (v) => {
    if (v.out === undefined) throw new UsageError('--out DIR: where to write the broker files');
    const listenPort = portOption('port', v.port as string);
    const platform = Platform.open(v.data, process.env, v.db);
    try {
      const files = writeMosquittoFiles(platform, path.resolve(v.out), listenPort, v.bind as string);
      if (v.json) console.log(JSON.stringify(files));
      else {
        for (const file of [files.caFile, files.certFile, files.keyFile, files.aclFile, files.confFile]) console.log(`wrote ${file}`);
        console.log(`start the broker: mosquitto -c ${files.confFile}`);
      }
      return EXIT.OK;
    } finally {
      platform.close();
    }
  });
}
