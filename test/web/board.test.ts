/**
 * The board page in a real browser (chromium through playwright-core), served by the platform,
 * against the emulated board's serial console (`tapcard emulate --serial tcp://...`): the firmware
 * bundle boots on the emulator with a device provisioned by the platform, downloads a transit card
 * from it, and the page then connects over Web Serial through @espruino-tools/core and shows what
 * status() and cards() print: the device id, the platform link online and that very card.
 *
 * Chromium has no serial port to offer a headless test, so the test injects a Web Serial stand-in
 * (navigator.serial with one port) whose readable and writable streams carry bytes to and from the
 * emulator's TCP console through the test process.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../host/emulator/emulator';
import { attachFlows } from '../../platform-server/src/flows/flows';
import { platformCards } from '../../platform-server/src/flows/platform-cards';
import { createLog } from '../../platform-server/src/log';
import { provisionDevice } from '../../platform-server/src/provision';
import { startPlatform, type RunningPlatform } from '../../platform-server/src/server';
import { operatorConsole } from '../../platform-server/src/web/console-api';
import { buildTestFirmware, captureConsole, tempDir, until } from '../emulator/helpers';
import { launchBrowser, screenshotPath, type TestBrowser } from '../helpers/browser';
import { requireDebian } from '../helpers/skip';
import { tempPlatform, type TempPlatform } from '../platform/_fixtures';
import { TransitIssuer } from '../../parties/transit-issuer';
import { startSimulatedParties, type RunningParties } from '../../cli/simulated-parties';

const WAIT = { timeout: 20_000 };
const DEVICE_ID = 'board-web-1';

/** navigator.serial with one port; bytes go out through window.__serialWrite and come in through window.__serialReceive. */
const WEB_SERIAL_STAND_IN = `(() => {
  let incoming = null;
  const port = {
    readable: null,
    writable: null,
    async open(options) {
      window.__serialOptions = options;
      this.readable = new ReadableStream({ start(c) { incoming = c; } });
      this.writable = new WritableStream({
        write(chunk) {
          const bytes = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          return window.__serialWrite(Array.from(bytes));
        },
      });
    },
    async close() { incoming?.close(); },
    getInfo() { return {}; },
  };
  window.__serialReceive = (bytes) => incoming?.enqueue(new Uint8Array(bytes));
  // window.__serialCancelNext: the next chooser is dismissed, as Chrome reports it
  const requestPort = async () => {
    if (window.__serialCancelNext) {
      window.__serialCancelNext = false;
      throw new DOMException('No port selected by the user.', 'NotFoundError');
    }
    return port;
  };
  Object.defineProperty(navigator, 'serial', { value: { requestPort, getPorts: async () => [port] } });
})()`;

describe.skipIf(requireDebian('web board page (playwright-core)', ['chromium']))('board page over Web Serial', () => {
  let tp: TempPlatform;
  let running: RunningPlatform;
  let closeFlows: () => void;
  let parties: RunningParties;
  let emulator: RunningEmulator;
  let browser: TestBrowser;
  let cardNumber: string;
  beforeAll(async () => {
    const firmware = await buildTestFirmware('board-web-test');
    tp = await tempPlatform();
    const log = createLog(() => undefined, 'json');
    parties = startSimulatedParties(tp.platform);
    running = await startPlatform(tp.platform, {
      mqttPort: 0, httpPort: 0, workerId: 'boardweb', log,
      httpRoutes: [operatorConsole(tp.platform, parties.services)],
    });
    const dpu = attachFlows(tp.platform, running.link, log, { issuers: [new TransitIssuer()], porTimeoutMs: 3000, sendLimit: 50 });
    closeFlows = () => dpu.close();
    const { bundle } = await provisionDevice(tp.platform, { deviceId: DEVICE_ID });
    const dir = tempDir('board-web');
    const provisionFile = path.join(dir, 'provision.json');
    fs.writeFileSync(provisionFile, JSON.stringify(bundle), { mode: 0o600 });
    emulator = await startEmulator({ stateDir: path.join(dir, 'state'), provisionFile, firmwareFile: firmware, broker: running.mqtt.url, serial: 'tcp://127.0.0.1:0' });

    // A transit card from the platform, installed before the page looks.
    const out = captureConsole(emulator.board);
    await until(() => {
      out.clear();
      emulator.board.evaluate('status()');
      return /link: .* online/.test(out.text());
    }, 'the board online on the platform broker', 30_000);
    out.clear();
    emulator.board.evaluate('download("transit")');
    await until(() => /download: transit job (\S+) queued/.test(out.text()), 'the platform to queue the download');
    const job = await dpu.waitFor(/download: transit job (\S+) queued/.exec(out.text())![1]);
    expect(job.state).toBe('done');
    await until(() => /installed in slot \d/.test(out.text()), 'the board to report the install');
    const installed = platformCards(tp.platform.db, bundle.se.serial).filter((c) => c.state === 'installed');
    expect(installed).toHaveLength(1);
    cardNumber = installed[0].cardNumber!;
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await emulator?.stop();
    closeFlows?.();
    await running?.close();
    parties?.close();
    tp?.cleanup();
  });

  async function openBoardPage(viewport?: { width: number; height: number }) {
    const ctx = await browser.context(viewport);
    const page = await ctx.newPage();
    const serialAddress = /^tcp:\/\/([^:]+):(\d+)$/.exec(emulator.serial!.address)!;
    const socket = net.connect(Number(serialAddress[2]), serialAddress[1]);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const typed: string[] = [];
    await page.exposeFunction('__serialWrite', (bytes: number[]) => {
      typed.push(Buffer.from(bytes).toString('latin1'));
      socket.write(Buffer.from(bytes));
    });
    socket.on('data', (d) => void page.evaluate((b) => (globalThis as unknown as { __serialReceive(b: number[]): void }).__serialReceive(b), Array.from(d)).catch(() => undefined));
    await page.addInitScript(WEB_SERIAL_STAND_IN);
    // Web Serial (and @espruino-tools' check for it) wants a secure context: http://localhost is one.
    await page.goto(`${running.httpUrl.replace('127.0.0.1', 'localhost')}/board/`);
    return { ctx, page, typed, close: async () => { socket.destroy(); await ctx.close(); } };
  }

  it("connects over Web Serial and shows the firmware's status() and cards(), with the card the platform installed", async () => {
    const { page, typed, close } = await openBoardPage();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    // @espruino-tools' UART asks for the connection method first, in a menu over the page (styled inline: the page's CSP lets it).
    await expect.poll(() => page.evaluate('getComputedStyle(document.body.lastElementChild).position'), WAIT).toBe('absolute');
    await page.locator('.esp-tools-name', { hasText: 'Web Serial' }).click();

    const status = page.locator('#status');
    await expect.poll(() => status.textContent(), WAIT).toContain(DEVICE_ID);
    const statusText = (await status.textContent()) ?? '';
    expect(statusText).toMatch(/link\s*mqtt:\/\/\S+ as board-web-1, online/);
    expect(statusText).toContain('1 of ');
    await expect.poll(() => page.locator('#cards').textContent(), WAIT).toContain(cardNumber);
    expect(await page.locator('#cards tbody tr').count()).toBe(1);
    expect(await page.locator('#link').textContent()).toContain(`connected · ${DEVICE_ID}`);
    expect(await page.evaluate('window.__serialOptions')).toEqual({ baudRate: 115200 });
    // The page turned the echo off and ran the commands on the board's own console.
    expect(typed.join('')).toMatch(/echo\(0\)[\s\S]*status\(\)[\s\S]*cards\(\)/);

    // "Read again" runs both commands on the board once more.
    await page.getByRole('button', { name: 'Read again' }).click();
    await expect.poll(() => typed.join('').match(/cards\(\)/g)?.length, WAIT).toBe(2);
    await expect.poll(() => page.locator('#cards').textContent(), WAIT).toContain(cardNumber);
    const shot = screenshotPath('board');
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true });
    await close();
  }, 90_000);

  it('is usable at 360 px wide, and a dismissed port chooser leaves Connect ready for another try', async () => {
    const { page, close } = await openBoardPage({ width: 360, height: 740 });
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    await page.evaluate('window.__serialCancelNext = true');
    await connect.click();
    await page.locator('.esp-tools-name', { hasText: 'Web Serial' }).click();
    await expect.poll(() => page.locator('#error').textContent(), WAIT).toBe('no serial port was chosen');
    expect(await connect.isEnabled()).toBe(true);

    await connect.click();
    await page.locator('.esp-tools-name', { hasText: 'Web Serial' }).click();
    await expect.poll(() => page.locator('#cards').textContent(), WAIT).toContain(cardNumber);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    const shot = screenshotPath('board-360');
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true });
    await close();
  }, 90_000);
});
