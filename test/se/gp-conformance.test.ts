/**
 * GlobalPlatform paths a third-party GP host takes that tapcard's own host does not (GP Card
 * Specification v2.3.1): INSTALL [for install] (P1 04) and INSTALL [for make selectable] (P1 08)
 * as two commands, and GET DATA with the ISO class byte 00 (§11.3.1).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { buildInstallForInstall } from '../../firmware/src/core/gp/install';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { parseLoadFile } from '../../host/gp/load-file';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import { TestSe } from '../applets/_harness';
import { buildTestLoadFile, INSTANCE_AID, MODULE_AID, PACKAGE_AID } from '../gp/se-package';

function sw(r: Uint8Array): string {
  return toHex(r.subarray(r.length - 2));
}

async function loaded(): Promise<{ t: TestSe; gp: GpSession }> {
  const t = new TestSe();
  const gp = new GpSession(t.transmit);
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: 0x03 });
  await gp.installForLoad(fromHex(PACKAGE_AID));
  await gp.load(parseLoadFile(buildTestLoadFile()).bytes, 200);
  return { t, gp };
}

/** INSTALL [for make selectable] data: empty load file and module AIDs, the instance, privileges, no parameters, no token. */
function makeSelectable(aid: string, privileges = '00'): Uint8Array {
  const body = `0000${(aid.length / 2).toString(16).padStart(2, '0')}${aid}${(privileges.length / 2).toString(16).padStart(2, '0')}${privileges}0000`;
  return fromHex(`80e60800${(body.length / 2).toString(16).padStart(2, '0')}${body}00`);
}

const selectInstance = `00a4040008${INSTANCE_AID}00`;

describe('GP conformance', () => {
  it('installs with P1 04, refuses SELECT while INSTALLED, and makes it selectable with P1 08', async () => {
    const { t, gp } = await loaded();
    const cmd = new Uint8Array(300);
    const n = buildInstallForInstall(fromHex(PACKAGE_AID), fromHex(MODULE_AID), fromHex(INSTANCE_AID), Uint8Array.of(0), null, null, cmd);
    cmd[2] = 0x04; // INSTALL [for install] only
    expect(sw(await gp.send(cmd.slice(0, n)))).toBe('9000');
    const installed = await gp.list();
    expect(installed.apps.find((a) => a.aid === INSTANCE_AID)?.lifeCycle).toBe(0x03);

    expect(sw(await gp.send(makeSelectable('A0000001510001FF')))).toBe('6a88'); // no such application
    expect(sw(await gp.send(makeSelectable(INSTANCE_AID)))).toBe('9000');
    expect(sw(await gp.send(makeSelectable(INSTANCE_AID)))).toBe('6985'); // selectable already
    expect((await gp.list()).apps.find((a) => a.aid === INSTANCE_AID)?.lifeCycle).toBe(0x07);

    t.se.reset();
    expect(t.send(selectInstance).slice(-4)).toBe('9000');
  });

  it('a SELECT of an application that is only INSTALLED finds nothing', async () => {
    const { t, gp } = await loaded();
    const cmd = new Uint8Array(300);
    const n = buildInstallForInstall(fromHex(PACKAGE_AID), fromHex(MODULE_AID), fromHex(INSTANCE_AID), Uint8Array.of(0), null, null, cmd);
    cmd[2] = 0x04;
    await gp.send(cmd.slice(0, n));
    t.se.reset();
    expect(t.send(selectInstance).slice(-4)).toBe('6a82');
  });

  it('answers GET DATA with CLA 00 as with CLA 80', () => {
    const t = new TestSe();
    t.ok('00a4040008a00000015100000000');
    const gp80 = t.send('80ca006600');
    expect(gp80.slice(-4)).toBe('9000');
    expect(t.send('00ca006600')).toBe(gp80);
    expect(t.send('00ca00e000').slice(-4)).toBe('9000');
    expect(t.send('00f2400002 4f0000'.replace(' ', '')).slice(-4)).toBe('6e00'); // GET STATUS stays GP class only
  });
});
