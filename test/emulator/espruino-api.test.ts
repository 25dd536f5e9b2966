/**
 * What a new user (or EspruinoTools, @espruino-tools/core) tries on the emulated ESP32 answers as
 * Espruino 2v29 does: the console's Serial1, LED1/BTN1 and pin state, digitalPulse, E.dumpStr(),
 * and a boot file Espruino could not load. Error texts and output bytes are the real interpreter's
 * (compared in espruino-parity.test.ts where the Linux build has the function).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedBoard } from '../../host/emulator/emulated-board';
import { EspruinoRuntime } from '../../host/emulator/espruino-runtime';
import { EspruinoStorage } from '../../host/emulator/espruino-storage';
import { captureConsole, tempDir } from './helpers';

const boards: EmulatedBoard[] = [];
afterEach(() => {
  for (const b of boards.splice(0)) b.powerOff('test done');
});

/** A board with nothing in Storage (or `bootCode` in .bootcde), powered on, its output captured from then on. */
function board(bootCode?: string): { b: EmulatedBoard; out: ReturnType<typeof captureConsole> } {
  const b = new EmulatedBoard(tempDir('api'));
  boards.push(b);
  if (bootCode !== undefined) b.installFirmware(bootCode);
  const out = captureConsole(b);
  b.powerOn();
  return { b, out };
}

/** Runs code as one console line and returns what the console printed for it. */
function typed(b: EmulatedBoard, out: ReturnType<typeof captureConsole>, code: string): string {
  out.clear();
  b.console.input(`${code}\r`);
  return out.text();
}

describe('the console UART: Serial1', () => {
  it('eval(process.env.CONSOLE).println(JSON.stringify(...)) on a DLE line prints just the answer, as tools read it', () => {
    const { b, out } = board();
    out.clear();
    b.console.input('\x10eval(process.env.CONSOLE).println(JSON.stringify({v:process.env.VERSION,b:process.env.BOARD}))\n');
    expect(out.text()).toBe('{"v":"2v29","b":"ESP32"}\r\n');
  });

  it('print and println send a string (arrays joined, undefined as text) with no newline conversion; write sends bytes', () => {
    const { b, out } = board();
    out.clear();
    b.evaluate('Serial1.print("a\\nb"); Serial1.println([1,2]); Serial1.println(); Serial1.print(0.1+0.2)');
    b.evaluate('Serial1.write("W", 65, [1.7, true, 300, -1], {data:"D",count:2}, new Uint16Array([0x1234]))');
    expect(out.text()).toBe('a\nb1,2\r\nundefined\r\n0.3WA\x01\x01\x2c\xffDD\x34');
  });

  it("print() on the console turns each \\n into \\r\\n, Serial1's methods return undefined", () => {
    const { b, out } = board();
    expect(typed(b, out, 'print("x\\ny")')).toBe('print("x\\ny")\r\nx\r\ny\r\n=undefined\r\n>');
    expect(b.evaluate('[Serial1.print(""), Serial1.write(), Serial1 instanceof Serial]')).toEqual([undefined, undefined, true]);
  });
});

describe('LED1, BTN1 and pins (boards/ESP32.py: LED1 is D2, BTN1 is D0, no LED2)', () => {
  it('LED1.write/toggle/read drive D2; toggle returns the new level', () => {
    const { b } = board();
    expect(b.evaluate('LED1 === D2 && BTN1 === D0')).toBe(true);
    expect(b.evaluate('[LED1.write(1), digitalRead(LED1), LED1.toggle(), LED1.read(), LED1.toggle(), D2.read()]')).toEqual([
      undefined, 1, false, false, true, true,
    ]);
  });

  it('LED2 is not defined on an ESP32: a ReferenceError, as on the board', () => {
    const { b, out } = board();
    expect(typed(b, out, 'LED2.write(1)')).toContain('Uncaught ReferenceError: LED2 is not defined');
  });

  it('writing makes a pin an output and reading an input, unless pinMode fixed it; BTN1 is pulled up at boot', () => {
    const { b } = board();
    expect(b.evaluate('[BTN1.getMode(), BTN1.read(), D5.getMode()]')).toEqual(['input_pullup', true, undefined]);
    expect(b.evaluate('D5.write(1); var m = D5.getMode(); D5.read(); [m, D5.getMode()]')).toEqual(['output', 'input']);
    expect(b.evaluate('pinMode(D6, "output"); D6.read(); getPinMode(D6)')).toBe('output');
    expect(b.evaluate('digitalWrite([D7, D8, D9], 5); digitalRead([D7, D8, D9])')).toBe(5);
  });

  it('rejects what Espruino rejects: an unknown mode, a pin that does not exist', () => {
    const { b, out } = board();
    expect(typed(b, out, 'pinMode(D2, "fast")')).toContain('Uncaught Error: Unknown pin mode');
    expect(typed(b, out, 'digitalWrite(40, 1)')).toContain('Uncaught Error: Invalid pin');
    expect(b.evaluate('var e; try { digitalRead({}) } catch (x) { e = x instanceof Error && x.message } e')).toBe('Invalid pin');
  });
});

describe('digitalPulse', () => {
  /** An interpreter whose pin level changes are recorded ("D2=1"). */
  function recordingPins(): { run: (code: string) => unknown; levels: string[] } {
    const levels: string[] = [];
    const runtime = new EspruinoRuntime({
      storage: new EspruinoStorage(path.join(tempDir('pulse'), 'storage.json')),
      i2cDevices: [],
      wiring: { sda: 'D21', scl: 'D22' },
      onPinLevel: (pin, high) => levels.push(`${pin}=${high ? 1 : 0}`),
      consoleWrite: () => undefined,
      requestRestart: () => undefined,
      setEcho: () => undefined,
      serialNumber: 'test',
    });
    runtimes.push(runtime);
    return { run: (code) => runtime.run(code, 'test'), levels };
  }
  const runtimes: EspruinoRuntime[] = [];
  afterEach(() => {
    for (const r of runtimes.splice(0)) r.dispose();
  });

  it('sets the level at once and the opposite level when the time is up; time 0 waits for the pulse to end and adds no edge', () => {
    const pins = recordingPins();
    pins.run('digitalPulse(LED1, 1, 5)');
    expect(pins.levels).toEqual(['D2=1']);
    expect(pins.run('digitalPulse(LED1, 1, 0); LED1.read()')).toBe(false);
    expect(pins.levels).toEqual(['D2=1', 'D2=0']);
  });

  it('an array of times is a square wave starting with the given level; entries that are not numbers still swap it', () => {
    const pins = recordingPins();
    pins.run('digitalPulse(LED1, 1, [5, 2, 3]); digitalPulse(LED1, 1, 0)');
    expect(pins.levels).toEqual(['D2=1', 'D2=0', 'D2=1', 'D2=0']);
    pins.levels.length = 0;
    pins.run('digitalPulse(D5, 0, [4, "x", 1]); digitalPulse(D5, 0, 0)');
    expect(pins.levels).toEqual(['D5=0', 'D5=1', 'D5=1']);
  });

  it("checks its arguments with the real interpreter's messages", () => {
    const { b, out } = board();
    expect(typed(b, out, 'digitalPulse(LED1, 1, -1)')).toContain('Uncaught Error: Pulse Time is less than 0 or not a number');
    expect(typed(b, out, 'digitalPulse(LED1, 1)')).toContain('Uncaught Error: Expecting Number or Array, got undefined');
    expect(typed(b, out, 'digitalPulse(LED1, 1, null)')).toContain('Uncaught Error: Expecting Number or Array, got null');
    expect(typed(b, out, 'digitalPulse(99, 1, 5)')).toContain('Uncaught Error: Invalid pin');
  });
});

describe('E.dumpStr()', () => {
  it('writes globals, timers and hardware set-up as Espruino does, and ends with the code saved in .bootcde', () => {
    const boot = '(function(){ global.greet = function (n) { return "hi " + n; }; })();\n';
    const { b } = board(boot);
    b.evaluate('var cfg = {a: 1, list: [1, 2], name: "x\\n", pin: D4}; var buf = new Uint8Array(2)');
    b.evaluate('setInterval(greet, 500); I2C1.setup({sda: D21, scl: D22, bitrate: 400000}); LED1.write(1); pinMode(D5, "output")');
    const dump = b.evaluate('E.dumpStr()') as string;
    expect(dump.startsWith([
      'function greet(n) {return "hi " + n;}',
      'var cfg = { "a": 1, ',
      '  "list": [ 1, 2 ], ',
      '  "name": "x\\n", ',
      '  "pin": D4 };',
      'var buf = new Uint8Array(2);',
      'setInterval(greet, 500); // 1',
      'I2C1.setup({"sda":D21,"scl":D22,"bitrate":400000});',
      'pinMode(D0, "input_pullup", true);',
      'digitalWrite(D2, 1);',
    ].join('\n'))).toBe(true);
    expect(dump).toContain('\npinMode(D5, "output");\n');
    expect(dump.endsWith(`// Code saved with E.setBootCode\n${boot}`)).toBe(true);
  });

  it('leaves out an LED that is off and pins in their boot state', () => {
    const { b } = board();
    b.evaluate('LED1.write(0)');
    const dump = b.evaluate('E.dumpStr()') as string;
    expect(dump).not.toMatch(/\bD2\b/);
    expect(dump).not.toContain('Code saved');
  });
});

describe('a boot file Espruino could not load', () => {
  it('is not run: the console shows an Uncaught SyntaxError naming the construct and where it is', () => {
    const { b, out } = board('(function(){\nprint("started");\nfor (var x of [1]) print(x);\n})();\n');
    expect(out.text()).toMatch(/Uncaught SyntaxError: \.bootcde:3:1: for\.\.of: /);
    expect(out.text()).not.toContain('started');
    expect(b.powered).toBe(true);
  });

  it('a bundle the gate accepts boots', () => {
    const { out } = board('(function(){ print("started"); })();\n');
    expect(out.text()).toContain('started');
  });
});
