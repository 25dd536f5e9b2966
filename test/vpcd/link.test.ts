/**
 * The vpcd RF link end to end over real loopback TCP: VpcdCardClient (card side) against VpcdReader
 * (reader side), plus raw endpoints for the peers' misbehaviour.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { CardRemovedError, NoCardError, VpcdProtocolError } from '../../host/vpcd/errors';
import { VpcdCardClient } from '../../host/vpcd/vpcd-card-client';
import { VpcdReader } from '../../host/vpcd/vpcd-reader';
import { FrameSocket, listenForOne } from '../helpers/frame-socket';
import { CLA_TEST, INS_ECHO, TEST_ATR, TestCard } from '../helpers/test-card';

const SELECT_GP_ISD = fromHex('00A4040008A000000151000000');
const READ_RECORD = fromHex('00B2010C00');
const FAST_RETRY_MS = 20;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startReader(options?: ConstructorParameters<typeof VpcdReader>[0], port = 0): Promise<VpcdReader> {
  const reader = new VpcdReader(options);
  await reader.listen(port);
  cleanups.push(() => reader.close());
  return reader;
}

function startCard(port: number, card = new TestCard(), maxCommandLength?: number): VpcdCardClient {
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card, reconnectMs: FAST_RETRY_MS, maxCommandLength });
  client.start();
  cleanups.push(() => client.stop());
  return client;
}

/** A card with the test card's behaviour, in the field of a fresh reader. */
async function linkedPair(): Promise<{ reader: VpcdReader; client: VpcdCardClient; card: TestCard }> {
  const reader = await startReader();
  const card = new TestCard();
  const client = startCard(reader.port, card);
  await reader.waitForCard(5000);
  return { reader, client, card };
}

/** An extended-length case 4 echo command (ISO 7816-4 §5.1: Lc 00 hi lo, Le 00 00). */
function extendedEcho(data: Uint8Array): Uint8Array {
  const apdu = new Uint8Array(7 + data.length + 2);
  apdu.set([CLA_TEST, INS_ECHO, 0x00, 0x00, 0x00, data.length >> 8, data.length & 0xff]);
  apdu.set(data, 7);
  return apdu;
}

describe('vpcd link: card client <-> reader', () => {
  it('powers the card on and reads its ATR', async () => {
    const { reader, card } = await linkedPair();
    expect(await reader.powerOn()).toEqual(TEST_ATR);
    expect(await reader.getAtr()).toEqual(TEST_ATR);
    expect(await reader.reset()).toEqual(TEST_ATR);
    await reader.powerOff();
    await reader.getAtr(); // replies come in order, so the power-off has been handled by now
    expect(card.log).toEqual(['power-on', 'reset', 'power-off']);
  });

  it('carries APDUs and their status words', async () => {
    const { reader, client } = await linkedPair();
    const seen: string[] = [];
    client.on('apdu', (command, response) => seen.push(`${toHex(command)} -> ${toHex(response)}`));
    await reader.powerOn();
    expect(toHex(await reader.transmit(SELECT_GP_ISD))).toBe('9000');
    expect(toHex(await reader.transmit(READ_RECORD))).toBe('6d00');
    expect(seen).toEqual(['00a4040008a000000151000000 -> 9000', '00b2010c00 -> 6d00']);
  });

  it('carries a 4 KB extended APDU both ways', async () => {
    const { reader } = await linkedPair();
    const data = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);
    const response = await reader.transmit(extendedEcho(data));
    expect(response.length).toBe(4098);
    expect(response.subarray(0, 4096)).toEqual(data);
    expect(toHex(response.subarray(4096))).toBe('9000');
  });

  it('answers concurrent transmits in order', async () => {
    const { reader } = await linkedPair();
    const replies = await Promise.all([
      reader.transmit(READ_RECORD),
      reader.transmit(SELECT_GP_ISD),
      reader.transmit(extendedEcho(Uint8Array.of(1, 2, 3))),
    ]);
    expect(replies.map((r) => toHex(r))).toEqual(['6d00', '9000', '0102039000']);
  });

  it('reports removal when the card leaves the field', async () => {
    const { reader, client } = await linkedPair();
    const removed = once(reader, 'removed');
    await client.stop();
    expect(await removed).toEqual(['closed']);
    expect(reader.cardPresent).toBe(false);
    await expect(reader.transmit(SELECT_GP_ISD)).rejects.toMatchObject({ name: 'CardRemovedError', reason: 'absent' });
  });

  it('reconnects after the reader restarts on the same port', async () => {
    const first = new VpcdReader();
    const port = await first.listen(0);
    const client = startCard(port);
    await first.waitForCard(5000);
    const gone = once(client, 'disconnect');
    await first.close();
    await gone;
    expect(client.connected).toBe(false);

    const second = await startReader(undefined, port);
    await second.waitForCard(5000);
    expect(toHex(await second.transmit(SELECT_GP_ISD))).toBe('9000');
  });

  it('keeps trying until a reader appears', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const client = startCard(port);
    const connected = once(client, 'connect');
    const reader = await startReader(undefined, port);
    await reader.waitForCard(5000);
    expect(await connected).toEqual([{ host: '127.0.0.1', port }]);
    expect(await reader.powerOn()).toEqual(TEST_ATR);
  });

  it('rejects waitForCard when no card comes', async () => {
    const reader = await startReader();
    await expect(reader.waitForCard(30)).rejects.toBeInstanceOf(NoCardError);
  });
});

describe('vpcd reader against misbehaving cards', () => {
  it('rejects a pending transmit with CardRemovedError when the card disconnects', async () => {
    const reader = await startReader();
    const card = await FrameSocket.connect(reader.port);
    cleanups.push(async () => void card.socket.destroy());
    await reader.waitForCard(5000);
    const pending = reader.transmit(SELECT_GP_ISD);
    expect(await card.next()).toEqual(SELECT_GP_ISD);
    card.socket.destroy();
    await expect(pending).rejects.toMatchObject({ name: 'CardRemovedError', reason: 'closed' });
  });

  it('treats a zero-length reply as removal', async () => {
    const reader = await startReader();
    const card = await FrameSocket.connect(reader.port);
    cleanups.push(async () => void card.socket.destroy());
    await reader.waitForCard(5000);
    const pending = reader.transmit(SELECT_GP_ISD);
    await card.next();
    card.send(new Uint8Array(0));
    await expect(pending).rejects.toMatchObject({ reason: 'zero-length' });
    expect(reader.cardPresent).toBe(false);
  });

  it('drops a mute card after the response timeout', async () => {
    const reader = await startReader({ responseTimeoutMs: 50 });
    const card = await FrameSocket.connect(reader.port);
    cleanups.push(async () => void card.socket.destroy());
    await reader.waitForCard(5000);
    const err = await reader.getAtr().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardRemovedError);
    expect((err as CardRemovedError).reason).toBe('mute');
  });

  it('reassembles a reply trickled one byte at a time', async () => {
    const reader = await startReader();
    const card = await FrameSocket.connect(reader.port);
    cleanups.push(async () => void card.socket.destroy());
    await reader.waitForCard(5000);
    const pending = reader.getAtr();
    expect(await card.next()).toEqual(Uint8Array.of(0x04));
    await card.trickle(TEST_ATR);
    expect(await pending).toEqual(TEST_ATR);
  });

  it('refuses a second card while one is in the field', async () => {
    const { reader } = await linkedPair();
    const warned = once(reader, 'warning');
    const intruder = await FrameSocket.connect(reader.port);
    cleanups.push(async () => void intruder.socket.destroy());
    await warned;
    expect(toHex(await reader.transmit(SELECT_GP_ISD))).toBe('9000');
  });

  it('refuses commands the protocol cannot carry', async () => {
    const { reader } = await linkedPair();
    await expect(reader.transmit(Uint8Array.of(0x04))).rejects.toBeInstanceOf(VpcdProtocolError);
    await expect(reader.transmit(new Uint8Array(0x10000))).rejects.toBeInstanceOf(VpcdProtocolError);
    expect(toHex(await reader.transmit(SELECT_GP_ISD))).toBe('9000');
  });
});

describe('vpcd card client against a raw reader', () => {
  async function rawReaderWithCard(card = new TestCard(), maxCommandLength?: number) {
    const raw = await listenForOne();
    cleanups.push(raw.close);
    const client = startCard(raw.port, card, maxCommandLength);
    return { reader: await raw.accepted, client, card };
  }

  it('reassembles a command trickled one byte at a time', async () => {
    const { reader } = await rawReaderWithCard();
    await reader.trickle(SELECT_GP_ISD);
    expect(toHex(await reader.next())).toBe('9000');
  });

  it('answers an over-limit command 6700 without the card and stays in step', async () => {
    const { reader, card } = await rawReaderWithCard(new TestCard(), 16);
    reader.send(extendedEcho(new Uint8Array(32)));
    reader.send(SELECT_GP_ISD);
    expect(toHex(await reader.next())).toBe('6700');
    expect(toHex(await reader.next())).toBe('9000');
    expect(card.log).toEqual([`apdu ${toHex(SELECT_GP_ISD)}`]);
  });

  it('answers 6F00 when the card device throws', async () => {
    const broken = new TestCard();
    broken.transmit = () => {
      throw new Error('internal fault');
    };
    const { reader, client } = await rawReaderWithCard(broken);
    const warned = once(client, 'warning');
    reader.send(SELECT_GP_ISD);
    expect(toHex(await reader.next())).toBe('6f00');
    expect(String((await warned)[0])).toContain('internal fault');
  });

  it('ignores an unknown control byte and answers the next request', async () => {
    const { reader, client } = await rawReaderWithCard();
    const warned = once(client, 'warning');
    reader.send(Uint8Array.of(0x09));
    await warned;
    reader.send(Uint8Array.of(0x04));
    expect(await reader.next()).toEqual(TEST_ATR);
  });
});
