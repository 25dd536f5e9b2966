/**
 * The download flow over real MQTT: `startPlatform` with the embedded aedes broker,
 * and again with Debian's mosquitto as the external broker (TAPCARD_MOSQUITTO_URL, else spawned
 * here; skipped with a plain message when mosquitto is not installed). Device ids are unique per
 * run, since persistent sessions outlive a test on a shared broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Terminal } from '../../host/terminal/terminal';
import { attachFlows } from '../../platform-server/src/flows/flows';
import { createLog } from '../../platform-server/src/log';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform } from '../../platform-server/src/server';
import { mosquittoMissing, useMosquitto, type MosquittoBroker } from '../helpers/mosquitto';
import { tempPlatform } from '../platform/_fixtures';
import { FAST, bundleSecrets } from './_world';
import { TransitIssuer } from '../../parties/transit-issuer';

const run = Math.random().toString(36).slice(2, 8);

async function downloadOver(broker: string | undefined, deviceId: string): Promise<void> {
  const tp = await tempPlatform();
  const lines: string[] = [];
  const log = createLog((l) => lines.push(l), 'json');
  const state = mkdtempSync(path.join(tmpdir(), 'tapcard-terminal-'));
  // A share group of its own: this platform's persistent session stays in its group after the run,
  // and a later run on the same broker would otherwise share the up frames with it (topics.ts).
  const running = await startPlatform(tp.platform, { mqttPort: 0, httpPort: 0, broker, workerId: run, shareGroup: `t-${run}`, log });
  const dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], ...FAST, porTimeoutMs: 2000 });
  let terminal: Terminal | null = null;
  try {
    const { bundle } = await provisionDevice(tp.platform, { deviceId });
    terminal = await Terminal.start({
      bundle,
      stateDir: state,
      brokerUrl: broker ?? running.mqtt.url,
      log: (event, detail) => lines.push(JSON.stringify({ event, ...detail })),
    });
    const permitted = await terminal.withPermission((s) => s.state);
    expect(permitted).toBe('AUTHENTICATED');
    const job = await dpu.waitFor(dpu.requestDownload(deviceId, 'transit', 'test').id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    const cards = terminal.cards();
    expect(cards).toHaveLength(1);
    expect(cards[0].cardManager).not.toBeNull();
    const row = tp.platform.db.prepare("SELECT state FROM cards WHERE card_serial = ?").get(cards[0].cardSerial) as { state: string };
    expect(row.state).toBe('installed');
    for (const s of bundleSecrets(bundle)) expect(lines.join('\n')).not.toContain(s);
  } finally {
    await terminal?.close();
    dpu.close();
    await running.close();
    tp.cleanup();
    rmSync(state, { recursive: true, force: true });
  }
}

describe('download over MQTT', () => {
  it('provision -> permission -> download through the embedded broker', async () => {
    await downloadOver(undefined, `emb-${run}`);
  }, 60_000);
});

const skip = mosquittoMissing('download flow over mosquitto');

describe.skipIf(skip)('download over mosquitto', () => {
  let broker: MosquittoBroker | null = null;

  beforeAll(async () => {
    broker = await useMosquitto(`probe-${run}`);
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('provision -> permission -> download through mosquitto', async () => {
    await downloadOver(broker!.url, `mosq-${run}`);
  }, 60_000);
});
