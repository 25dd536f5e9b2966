/**
 * One MCU (firmware/src/core/mcu/mcu.ts), two shells: the same scenarios run against `tapcard
 * terminal`'s Terminal (host/terminal) and against the board bundle in the emulator, both on the
 * platform's own broker. Flow 1: the platform grants the ISD keys, the MCU opens SCP03 at security
 * level 33 with the SE, reads what the SE holds under it, and wipes the keys. Flow 2 from the
 * terminal: the user picks an application, the platform queues a job and installs the card
 * through the MCU's relay. An unknown application is refused; a request the platform cannot take
 * while its database is away is answered busy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../platform-server/src/db/audit';
import { DatabaseUnavailableError } from '../../platform-server/src/db/port';
import { attachFlows } from '../../platform-server/src/flows/flows';
import type { DataProcessingUnit } from '../../platform-server/src/flows/data-processing-unit';
import { createLog } from '../../platform-server/src/log';
import { provisionDevice } from '../../platform-server/src/provision';
import { type RunningPlatform, startPlatform } from '../../platform-server/src/server';
import { startEmulator } from '../../host/emulator/emulator';
import { Terminal } from '../../host/terminal/terminal';
import type { ManagementSession } from '../../firmware/src/core/mcu/management-session';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';
import { buildTestFirmware, captureConsole, tempDir, until } from './helpers';
import { TransitIssuer } from '../../parties/transit-issuer';

/** What a user does at a terminal, whichever shell runs the MCU. */
interface Shell {
  deviceId: string;
  /** The link and ISD keys of its provisioning bundle, which no log may show. */
  secrets: string[];
  /** Flow 1; resolves with the applications the SE reported under the session and whether the keys are gone after. */
  permission(): Promise<{ applications: number; keysWiped: boolean }>;
  /** Flow 2; resolves with the platform's job id, rejects with its refusal. */
  download(app: string): Promise<string>;
  cards(): Promise<number>;
  close(): Promise<void>;
}

/** GET STATUS of the applications: 80 F2 40 02 02 4F 00 00 (GPCS 11.4.2). */
const GET_STATUS_APPS = Uint8Array.from([0x80, 0xf2, 0x40, 0x02, 0x02, 0x4f, 0x00, 0x00]);

const run = Math.random().toString(36).slice(2, 8);
let tp: TempPlatform;
let running: RunningPlatform;
let dpu: DataProcessingUnit;
let firmware: string;
const lines: string[] = [];

beforeAll(async () => {
  firmware = await buildTestFirmware();
  tp = await tempPlatform();
  const log = createLog((l) => lines.push(l), 'json');
  running = await startPlatform(tp.platform, { mqttPort: 0, httpPort: 0, workerId: run, log });
  dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], porTimeoutMs: 3000, sendLimit: 50 });
}, 60_000);

afterAll(async () => {
  dpu?.close();
  await running?.close();
  tp?.cleanup();
});

async function hostShell(): Promise<Shell> {
  const deviceId = `host-${run}`;
  const { bundle } = await provisionDevice(tp.platform, { deviceId });
  const t = await Terminal.start({ bundle, stateDir: tempDir('mcu-host'), brokerUrl: running.mqtt.url });
  return {
    deviceId,
    secrets: [bundle.link.kic, bundle.link.kid, bundle.se.isd.enc, bundle.se.isd.mac, bundle.se.isd.dek],
    async permission() {
      let session: ManagementSession | null = null;
      const applications = await t.withPermission((s) => {
        session = s;
        const out = new Uint8Array(300);
        const m = s.send(GET_STATUS_APPS, GET_STATUS_APPS.length, out);
        let n = 0;
        for (let p = 0; p + 2 <= m - 2 && out[p] === 0xe3; p += 2 + out[p + 1]) n++;
        return n;
      });
      return { applications, keysWiped: (session as ManagementSession | null)?.state === 'IDLE' };
    },
    download: (app) => t.requestDownload(app),
    cards: async () => t.cards().length,
    close: () => t.close(),
  };
}

async function boardShell(): Promise<Shell> {
  const deviceId = `board-${run}`;
  const { bundle } = await provisionDevice(tp.platform, { deviceId });
  const dir = tempDir('mcu-board');
  const provisionFile = path.join(dir, 'provision.json');
  fs.writeFileSync(provisionFile, JSON.stringify(bundle), { mode: 0o600 });
  const emulator = await startEmulator({ stateDir: path.join(dir, 'state'), provisionFile, firmwareFile: firmware, broker: running.mqtt.url });
  const board = emulator.board;
  const out = captureConsole(board);
  const said = async (command: string, answer: RegExp, what: string): Promise<RegExpExecArray> => {
    out.clear();
    board.evaluate(command);
    await until(() => answer.test(out.text()), what);
    return answer.exec(out.text()) as RegExpExecArray;
  };
  await until(() => {
    out.clear();
    board.evaluate('status()');
    return / online,/.test(out.text());
  }, 'the board online on the platform broker');
  return {
    deviceId,
    secrets: [bundle.link.kic, bundle.link.kid, bundle.se.isd.enc, bundle.se.isd.mac, bundle.se.isd.dek],
    async permission() {
      const m = await said('permission()', /permission: (SL 33 .*|grant refused|SE refused.*|no answer|refused by the link.*|busy|not sent.*)\r?\n/, 'the permission outcome');
      // GET STATUS answers 6A88 when the SE holds no application (GPCS 11.4.2).
      const ok = /SL 33 session, (\d+) applications, SW (9000|6a88), keys wiped/.exec(m[1]);
      if (ok === null) throw new Error(`permission: ${m[1]}`);
      return { applications: Number(ok[1]), keysWiped: true };
    },
    async download(app) {
      const m = await said(`download(${JSON.stringify(app)})`, /download: \S+ (job (\S+) queued|refused: .*|busy, try again: .*)\r?\n/, 'the platform to answer');
      if (m[2] === undefined) throw new Error(m[1]);
      return m[2];
    },
    async cards() {
      const m = await said('cards()', /(no cards|slot \d)/, 'the card list');
      return m[1] === 'no cards' ? 0 : out.text().split('\n').filter((l) => /^slot \d/.test(l)).length;
    },
    close: () => emulator.stop(),
  };
}

describe.each([
  ['tapcard terminal (host shell)', hostShell],
  ['the board bundle (Espruino shell, emulated)', boardShell],
])('the MCU in %s', (_name, start) => {
  let shell: Shell;
  beforeAll(async () => {
    shell = await start();
  }, 60_000);
  afterAll(async () => {
    await shell?.close();
  });

  it('flow 1: the grant opens SCP03 at SL 33 with the SE, which answers under it; the keys are wiped after', async () => {
    expect(await shell.permission()).toEqual({ applications: 0, keysWiped: true });
    expect(listAudit(tp.platform.db, shell.deviceId).map((a) => a.action)).toContain('permission.granted');
  });

  it('flow 2 from the terminal: the job installs the card through the relay; the SE then holds one application', async () => {
    const job = await dpu.waitFor(await shell.download('transit'));
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(await shell.cards()).toBe(1);
    expect((await shell.permission()).applications).toBe(1);
  }, 60_000);

  it('an application the platform does not offer is refused', async () => {
    await expect(shell.download('no-such-app')).rejects.toThrow(/refused/);
  });

  it('while the platform database is away the request is answered busy, not refused; asked again, it is queued', async () => {
    const requestDownload = dpu.requestDownload;
    dpu.requestDownload = () => {
      throw new DatabaseUnavailableError('the database is restarting');
    };
    try {
      await expect(shell.download('transit')).rejects.toThrow(/(cannot take the download now|busy, try again): the database is restarting/);
    } finally {
      dpu.requestDownload = requestDownload;
    }
    const job = await dpu.waitFor(await shell.download('transit'));
    expect(job.state).toBe('done');
  }, 60_000);

  it('no key of the device reaches the platform log', () => {
    const text = lines.join('\n').toLowerCase();
    expect(text).toContain(shell.deviceId);
    for (const secret of shell.secrets) expect(text).not.toContain(secret.toLowerCase());
  });
});
