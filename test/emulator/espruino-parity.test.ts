/**
 * The emulator against the real interpreter (TAPCARD_ESPRUINO: Espruino 2v29's Linux build with
 * ESP32 settings): the same script, through `eval(process.env.CONSOLE)` on both (USB on Linux,
 * Serial1 on the emulated ESP32), prints the same bytes. Covered where the Linux build behaves as an
 * ESP32 does: Serial print/println/write, the argument checks of digitalPulse/digitalWrite/pinMode,
 * E.dumpStr() of variables and functions (the Linux build has no GPIO state or boot pull-ups; an
 * instance's `Object.create(path)` is left out: src/jsvar.c jsvGetPathTo compares a depth it never
 * set when the prototype is found one level down, so its path varies).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedBoard } from '../../host/emulator/emulated-board';
import { requireEspruino } from '../helpers/skip';
import { requireEspruinoBinary } from '../../host/interpreter/espruino-binary';
import { captureConsole, tempDir } from './helpers';

const BEGIN = '<<parity>>';
const END = '<</parity>>';

/** What the script printed between the markers on the real interpreter (no boot code, fresh Storage). */
function onRealInterpreter(script: string): string {
  const dir = tempDir('parity');
  const file = path.join(dir, 'script.js');
  fs.writeFileSync(file, `print(${JSON.stringify(BEGIN)});\n${script}\nprint(${JSON.stringify(END)});\n`, 'latin1');
  const run = spawnSync(requireEspruinoBinary(), [file], { cwd: dir, input: '', timeout: 20_000, encoding: 'latin1' });
  const out = run.stdout;
  const from = out.indexOf(`${BEGIN}\r\n`);
  const to = out.indexOf(END, from);
  if (from < 0 || to < 0) throw new Error(`the real interpreter did not run the script:\n${out}${run.stderr}`);
  return out.slice(from + BEGIN.length + 2, to);
}

const boards: EmulatedBoard[] = [];
afterEach(() => {
  for (const b of boards.splice(0)) b.powerOff('test done');
});

function onEmulator(script: string): string {
  const board = new EmulatedBoard(tempDir('parity-emu'));
  boards.push(board);
  board.powerOn();
  const out = captureConsole(board);
  board.evaluate(script);
  return out.text();
}

/** Prints what a call returns or throws, the same way on both. */
const TRY = `function t(f) {
  try { var r = f(); print("ok", typeof r, r === undefined ? "-" : r); }
  catch (e) { print("error", e instanceof Error, e.message); }
}
`;

describe.skipIf(requireEspruino('emulator parity with the real interpreter'))('emulator and real interpreter print the same', () => {
  it('Serial: print and println as strings, write as bytes, on the console device', () => {
    const script = `var C = eval(process.env.CONSOLE);
C.print("P1\\nP2"); C.println([1, 2, 3]); C.println({a: 1}); C.println(); C.print(undefined); C.print(null);
C.write("W", 65, [66, 67], {data: "D", count: 2}, new Uint8Array([69]), 256 + 70);
C.write([1.7, true, 300, -1]); C.write(new Uint16Array([0x1234])); C.write(new Uint8Array([65, 66]).buffer);
C.print(1e21); C.print(0.1 + 0.2); C.print(-1.5e-7); C.print([1.5, undefined, null, "x"]); C.print("\\u20ac");
C.println("end");
print("x\\ny", 0.1 + 0.2, [1, 2]);`;
    expect(onEmulator(script)).toBe(onRealInterpreter(script));
  });

  it('argument checks of digitalPulse, digitalWrite, digitalRead and pinMode', () => {
    const script = `${TRY}
t(function () { return digitalPulse(D2, 1, -1); });
t(function () { return digitalPulse(D2, 1); });
t(function () { return digitalPulse(D2, 1, null); });
t(function () { return digitalPulse(D2, 1, NaN); });
t(function () { return digitalPulse(D2, 1, {}); });
t(function () { return digitalPulse(D2, 1, "x"); });
t(function () { return digitalPulse("D2", 1, [1]); });
t(function () { return digitalPulse(99, 1, 1); });
t(function () { return digitalPulse(2.5, 1, 1); });
t(function () { return digitalWrite(99, 1); });
t(function () { return digitalWrite(undefined, 1); });
t(function () { return digitalWrite({}, 1); });
t(function () { return digitalWrite({write: function (v) { print("write", v); }}, true); });
t(function () { return digitalRead({read: function () { return "3"; }}); });
t(function () { return digitalRead({}); });
t(function () { return digitalRead([]); });
t(function () { return pinMode(D3, "fast"); });
t(function () { return pinMode(D3, "auto"); });
t(function () { return pinMode(99, "output"); });
t(function () { return getPinMode(99); });
t(function () { return [typeof D3.write(1), typeof D3.read(), typeof D3.toggle(), typeof digitalRead(D3)].join(); });
t(function () { pinMode(D6, "output"); D6.read(); return getPinMode(D6); });
t(function () { D7.write(1); var before = D7.getMode(); D7.read(); return before + "," + D7.getMode(); });
print(D2, String(D2), JSON.stringify({p: D2}));`;
    expect(onEmulator(script)).toBe(onRealInterpreter(script));
  });

  it('E.dumpStr(): variables and functions in Espruino\'s text', () => {
    const script = `var a = 1, s = "x\\n\\x01\\xe9\\"q\\\\", n = null, u = undefined, fl = 0.1 + 0.2, big = 1e21;
var o = {s: "str", n: NaN, inf: Infinity, arr: [1, 2, 3, 4, 5, 6, 7], nest: {a: {b: {c: 1}}}, pin: D3, fn: function (x) {return x*2}};
var q = [undefined, null, "s", [1], {}], r = {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10};
var buf = new Uint8Array(3), bytes = new Uint8Array([1, 2]), words = new Uint16Array([258]), raw = new Uint8Array([9]).buffer;
var add = function (p, q) {return p+q;};
var twice = function (x) {return x*2};
var ret = function () {return};
var alias = add;
var C = function (v) {this.v=v;};
C.prototype.get = function () {return this.v;};
print(E.dumpStr().split("\\n").filter(function (l) { return !/^(pinMode|digitalWrite)\\(/.test(l); }).join("\\n"));`;
    expect(onEmulator(script)).toBe(onRealInterpreter(script));
  });

  it('E.mapInPlace and E.sum as the DES rounds call them (word-des.ts), and with bits and a function', () => {
    const script = `var map = new Int32Array(256); for (var i = 0; i < 256; i++) map[i] = (i * 2654435761) | 0;
var w = new Int32Array([-50529028 ^ 0x03020100, 0x12345678]), out = new Int32Array(8);
E.mapInPlace(new Uint8Array(w.buffer, 0, 4), new Int32Array(out.buffer, 0, 4), map);
E.mapInPlace(new Uint8Array(w.buffer, 4, 4), new Int32Array(out.buffer, 16, 4), map);
print(out.join(), E.sum(out), E.sum(new Int32Array([-2147483648, 1, 2])) ^ 0);
var b = new Uint8Array(4); E.mapInPlace(new Uint8Array([0xab, 0xcd]), b, undefined, 4); print(b.join());
b.fill(0); E.mapInPlace(new Uint8Array([0xab, 0xcd]), b, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 10, 11, 12, 13, 14, 15], -4); print(b.join());
b.fill(0); E.mapInPlace(new Uint8Array([1, 2, 3]), b, function (v, i) { return v * 10 + i; }); print(b.join());`;
    expect(onEmulator(script)).toBe(onRealInterpreter(script));
  });
});
