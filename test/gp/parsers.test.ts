import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { KeyInformation, KeyInformationReader } from '../../firmware/src/core/gp/get-data';
import { GetStatusReader, RegistryEntry } from '../../firmware/src/core/gp/get-status';
import { Fci, parseFci } from '../../firmware/src/core/gp/select';
import { TlvReader } from '../../firmware/src/core/tlv';

function entries(hex: string): { list: Array<Record<string, unknown>>; malformed: boolean } {
  const b = fromHex(hex);
  const r = new GetStatusReader().reset(b, 0, b.length);
  const e = new RegistryEntry();
  const list: Array<Record<string, unknown>> = [];
  while (r.next(e)) {
    const modules: string[] = [];
    for (let i = 0; i < e.moduleCount; i++) modules.push(toHex(e.modules, i * 16, e.moduleLens[i]));
    list.push({
      aid: toHex(e.aid, 0, e.aidLen),
      lifeCycle: e.lifeCycle,
      privileges: toHex(e.privileges, 0, e.privilegesLen),
      elf: toHex(e.elfAid, 0, e.elfAidLen),
      version: e.version,
      sd: toHex(e.sdAid, 0, e.sdAidLen),
      modules,
    });
  }
  return { list, malformed: r.malformed };
}

describe('GET STATUS reader', () => {
  it('reads the GlobalPlatformPro example entry (TestParseTags.java; GPCS ch. 11)', () => {
    const { list, malformed } = entries(
      'E3464F08A0000000030000009F700101C5039EFE80CF0140CF0141CF0142CF0143CF0180CF0181CF0182CF0183C40BD276000005AAFFCAFE0001CE020001CC08A000000003000000',
    );
    expect(malformed).toBe(false);
    expect(list).toEqual([
      {
        aid: 'a000000003000000',
        lifeCycle: 0x01,
        privileges: '9efe80',
        elf: 'd276000005aaffcafe0001',
        version: 0x0001,
        sd: 'a000000003000000',
        modules: [],
      },
    ]);
  });

  it('reads a one-byte privilege ISD entry with an unknown tag (GPPro testParseISD)', () => {
    const { list } = entries('E3144F07A00000015100009F700107C50180EA028000');
    expect(list).toEqual([{ aid: 'a0000001510000', lifeCycle: 7, privileges: '80', elf: '', version: -1, sd: '', modules: [] }]);
  });

  it('reads several entries and ELF modules (P1 10)', () => {
    const elf = 'E3' + '25' + '4F07A0000001510001' + '9F700101' + 'CE020100' + '8408A000000151000101' + '8408A000000151000102';
    const app = 'E3' + '11' + '4F08A000000151000101' + '9F700107' + 'C50100';
    const { list, malformed } = entries(elf + app);
    expect(malformed).toBe(false);
    expect(list.map((e) => e.aid)).toEqual(['a0000001510001', 'a000000151000101']);
    expect(list[0].modules).toEqual(['a000000151000101', 'a000000151000102']);
    expect(list[0].version).toBe(0x0100);
    expect(list[1].lifeCycle).toBe(7);
  });

  it('marks truncated, wrongly tagged or incomplete entries malformed', () => {
    for (const bad of [
      'E3144F07A00000015100009F700107C50180EA0280', // truncated
      'E2054F03A00000', // not E3
      'E3054F03A00000', // no life cycle
      'E3084F01AA9F70020101', // life cycle of 2 bytes
    ]) {
      expect(entries(bad).malformed, bad).toBe(true);
    }
    expect(entries('').malformed).toBe(false);
  });
});

describe('FCI parser', () => {
  const parse = (hex: string): { ok: boolean; fci: Fci } => {
    const b = fromHex(hex);
    const fci = new Fci();
    const ok = parseFci(b, 0, b.length, fci, new TlvReader(), new TlvReader());
    return { ok, fci };
  };

  it('reads the AID and tag 9F65 (one or two bytes)', () => {
    const { ok, fci } = parse('6F10' + '8408A000000151000000' + 'A504' + '9F6501FF');
    expect(ok).toBe(true);
    expect(toHex(fci.aid, 0, fci.aidLen)).toBe('a000000151000000');
    expect(fci.maxCommandData).toBe(255);
    expect(parse('6F11' + '8408A000000151000000' + 'A505' + '9F65020080').fci.maxCommandData).toBe(128);
  });

  it('reports -1 without 9F65 and refuses a non-FCI or truncated answer', () => {
    expect(parse('6F0A8408A000000151000000').fci.maxCommandData).toBe(-1);
    expect(parse('6F0A8408A000000151000000').ok).toBe(true);
    expect(parse('6E0A8408A000000151000000').ok).toBe(false);
    expect(parse('6F0B8408A000000151000000').ok).toBe(false);
  });
});

describe('key information template reader (GET DATA 00E0)', () => {
  it('lists one C0 per key: id, version, type, length', () => {
    const b = fromHex('E012C00401308810C00402308810C00403308810');
    const r = new KeyInformationReader().reset(b, 0, b.length);
    const k = new KeyInformation();
    const keys: number[][] = [];
    while (r.next(k)) keys.push([k.id, k.version, k.type, k.length, k.components]);
    expect(r.malformed).toBe(false);
    expect(keys).toEqual([
      [1, 0x30, 0x88, 16, 1],
      [2, 0x30, 0x88, 16, 1],
      [3, 0x30, 0x88, 16, 1],
    ]);
  });

  it('refuses a C0 shorter than 4 bytes', () => {
    const b = fromHex('E005C003013088');
    const r = new KeyInformationReader().reset(b, 0, b.length);
    expect(r.next(new KeyInformation())).toBe(false);
    expect(r.malformed).toBe(true);
  });
});
