/**
 * The stand-in PN532 the interpreter runs from Storage as `.boot0` (Espruino runs .boot0 before
 * .bootcde, src/jsflash.c jsfLoadBootCodeFromFlash). The Linux build's I2C talks to nothing, so
 * it replaces the global I2C1 (setup/writeTo/readFrom) and the reset pin D4 with objects that
 * forward every transfer to the host over two FIFOs (standin-protocol.ts), opened with
 * E.openFile: File.write flushes, File.read(n) blocks in fread until n bytes are there
 * (libs/filesystem/jswrap_file.c). The firmware's own PN532 driver runs unchanged on top.
 *
 * Kept small (it lives in the board's JsVars), ES5 only. Timing and memory come from inside the
 * interpreter: getTime() at each call's entry and exit, process.memory(false) (no GC pass,
 * src/jswrap_process.c) twice a call:
 *
 *   entry  the first statement of writeTo/readFrom/write, before the stand-in makes anything of
 *          its own: what the firmware holds at its I2C call, plus the stand-in's held objects and
 *          the call's frame (function scope, parameter names, scope list: src/jsparse.c
 *          jspeFunctionCall), which a native I2C1 on a board does not make;
 *   deep   inside the shared sender, with the stand-in's own temporaries (arguments, arrays):
 *          the most the interpreter holds at the call, test equipment included.
 *
 * Each function's frame is measured once at power-on: the same function in probe mode (it returns
 * its entry figure) called between two readings with arguments made beforehand, so the difference
 * is the frame alone. The held objects are E.getSizeOf of the two replaced globals (their shared
 * closure included) plus their two names in the root. Every request carries the entry and deep
 * figures, the frame of its function and the held figure, so the host reports the firmware's
 * figure (entry - frame - held) and the whole interpreter's (deep) side by side
 * (firmware-meter.ts).
 */
import { PN532_RESET_PIN } from '../../firmware/src/board/espruino/board-config';

/** Names the script defines on the board (global objects it replaces). */
export const STANDIN_GLOBALS = ['I2C1', PN532_RESET_PIN];

export function standInScript(requestFifo: string, answerFifo: string): string {
  const pin = `global.${PN532_RESET_PIN}`;
  return [
    '(function(){',
    `var q=E.openFile(${JSON.stringify(requestFifo)},"w"),a=E.openFile(${JSON.stringify(answerFifo)},"r"),x=getTime(),d=0,P=0,f=[0,0,0],h=0;`,
    'function u(s){s=Math.round(s*1e6);return [s&255,s>>8&255,s>>16&255,s>>>24&255];}',
    'function c(o,e,j,g,b,n){var t=getTime(),m=process.memory(false).usage,F=f[j];',
    'q.write(E.toString(o,u(t-x),u(d),m&255,m>>8,e&255,e>>8,F&255,F>>8,h&255,h>>8,g,b));',
    'var k=a.read(1).charCodeAt(0),s=k||!n?"":a.read(n);',
    'x=getTime();d=x-t;',
    'if(k)throw new Error("I2C: no ACK");',
    'return s;}',
    'I2C1={setup:function(){},',
    'writeTo:function(i,b){var e=process.memory(false).usage;if(P)return e;c(87,e,0,[i,b.length&255,b.length>>8],b,0);},',
    'readFrom:function(i,n){var e=process.memory(false).usage;if(P)return e;return E.toUint8Array(c(82,e,1,[i,n&255,n>>8],[],n));}};',
    `${pin}={write:function(v){var e=process.memory(false).usage;if(P)return e;c(80,e,2,[v?1:0],[],0);}};`,
    // the frames: arguments made before the first reading, so each difference is the frame alone
    '(function(A,B,V,z){P=1;',
    'z=process.memory(false).usage;f[0]=I2C1.writeTo(A,B)-z;',
    'z=process.memory(false).usage;f[1]=I2C1.readFrom(A,A)-z;',
    `z=process.memory(false).usage;f[2]=${pin}.write(V)-z;`,
    'P=0;})(36,new Uint8Array(1),false,0);',
    // twice: h holds a number of its own from the first pass on
    `h=E.getSizeOf([I2C1,${pin}])-1;h=E.getSizeOf([I2C1,${pin}])-1;`,
    '})();',
  ].join('\n');
}
