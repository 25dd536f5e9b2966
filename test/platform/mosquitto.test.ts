/**
 * The link over an external broker: Debian's mosquitto (CI starts one and sets
 * TAPCARD_MOSQUITTO_URL; otherwise this suite spawns `mosquitto -p PORT` itself, and skips with a
 * message when mosquitto is not installed). Frames of a segmented secured packet cross in both
 * directions, the platform's $share subscription splits frames between two workers without
 * duplicates, and a persistent session keeps QoS 1 frames for a device that was offline. Each test
 * uses its own share group and client ids: on a shared broker, persistent sessions outlive a test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { CommandHeader, CommandOpener, sealCommand } from '../../firmware/src/core/link/command-packet';
import { POR } from '../../firmware/src/core/link/por-status';
import { REASSEMBLY, Reassembler, ReassemblerSettings } from '../../firmware/src/core/link/reassembler';
import { Segmenter, SegmenterSettings } from '../../firmware/src/core/link/segmenter';
import { PACKET_COMMAND } from '../../firmware/src/core/link/udh';
import { MqttDeviceTransport, MqttPlatformTransport } from '../../net/mqtt/mqtt-transport';
import { mosquittoMissing, useMosquitto, type MosquittoBroker } from '../helpers/mosquitto';
import { MemoryCounterStore, keysetFromHex } from '../link/_link-fixtures';

const skip = mosquittoMissing('MQTT interop over mosquitto');

let url = '';
let broker: MosquittoBroker | null = null;
/** Unique per run, so sessions on a shared CI broker never collide. */
const run = Math.random().toString(36).slice(2, 8);

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(skip)('link frames over mosquitto', () => {
  beforeAll(async () => {
    broker = await useMosquitto(`probe-${run}`);
    url = broker.url;
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('carries a segmented secured command packet up and a frame down', async () => {
    const deviceId = `m1-${run}`;
    const platform = await MqttPlatformTransport.connect({ url, clientId: `platform.t1-${run}` }, { shareGroup: `t1-${run}` });
    const device = await MqttDeviceTransport.connect(deviceId, { url, clientId: deviceId });
    const rx = new Reassembler(new ReassemblerSettings());
    let complete = false;
    platform.onFrame((id, frame) => {
      if (id === deviceId && rx.push(frame, 0, frame.length, 0) === REASSEMBLY.COMPLETE) complete = true;
    });
    const down: string[] = [];
    device.onFrame((f) => down.push(toHex(f)));

    const keys = keysetFromHex();
    const data = new Uint8Array(300).map((_, i) => (i * 3) & 0xff);
    const packet = new Uint8Array(600);
    const len = sealCommand(new CommandHeader(), keys, fromHex('0000000001'), 0, data, 0, data.length, packet, 0);
    const seg = new Segmenter(new SegmenterSettings());
    const parts = seg.begin(packet, 0, len, PACKET_COMMAND, 0x31);
    expect(parts).toBe(3);
    for (let f = seg.next(); f !== null; f = seg.next()) await device.send(f.slice());
    await waitFor(() => complete, 'the reassembled packet');
    const opener = new CommandOpener(1200);
    expect(opener.open(rx.packet, 0, rx.packetLength, { acceptsTar: () => true, keys, counter: new MemoryCounterStore() })).toBe(POR.OK);
    expect(opener.data.subarray(opener.dataOff, opener.dataOff + opener.dataLen)).toEqual(data);

    await platform.send(deviceId, fromHex('027100000b0a00000000000000000009'));
    await waitFor(() => down.length === 1, 'the down frame');
    expect(down).toEqual(['027100000b0a00000000000000000009']);
    await device.close();
    await platform.close();
  });

  it('splits frames between two platform workers through $share, each frame delivered once', async () => {
    const deviceId = `m2-${run}`;
    const seen: string[] = [];
    const perWorker = [0, 0];
    const workers = await Promise.all([0, 1].map((w) => MqttPlatformTransport.connect({ url, clientId: `platform.w${w}-${run}` }, { shareGroup: `t2-${run}` })));
    workers.forEach((w, i) =>
      w.onFrame((id, f) => {
        if (id !== deviceId) return;
        seen.push(toHex(f));
        perWorker[i]++;
      }),
    );
    const device = await MqttDeviceTransport.connect(deviceId, { url, clientId: deviceId });
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const f = Uint8Array.of(0x02, 0x70, 0x00, 0x00, 0x01, i);
      sent.push(toHex(f));
      await device.send(f);
    }
    await waitFor(() => seen.length >= sent.length, 'all frames');
    await new Promise((r) => setTimeout(r, 200));
    expect([...seen].sort()).toEqual([...sent].sort());
    expect(perWorker[0] + perWorker[1]).toBe(40);
    await device.close();
    await Promise.all(workers.map((w) => w.close()));
  });

  it('keeps QoS 1 frames for an offline device in its persistent session', async () => {
    const deviceId = `m3-${run}`;
    const platform = await MqttPlatformTransport.connect({ url, clientId: `platform.t3-${run}` }, { shareGroup: `t3-${run}` });
    const first = await MqttDeviceTransport.connect(deviceId, { url, clientId: deviceId });
    await first.close();
    await platform.send(deviceId, Uint8Array.of(0x02, 0x71, 0x00, 0xaa));
    const again = await MqttDeviceTransport.connect(deviceId, { url, clientId: deviceId });
    const got: string[] = [];
    again.onFrame((f) => got.push(toHex(f)));
    await waitFor(() => got.length === 1, 'the queued frame');
    expect(got).toEqual(['027100aa']);
    await again.close();
    await platform.close();
  });
});
