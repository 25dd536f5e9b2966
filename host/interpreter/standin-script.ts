/**
 * The stand-in PN532 the interpreter runs from Storage as `.boot0` (Espruino runs .boot0 before
 * .bootcde, src/jsflash.c jsfLoadBootCodeFromFlash). The Linux build's I2C talks to nothing, so
 * it replaces the global I2C1 (setup/writeTo/readFrom) and the reset pin D4 with objects that
 * forward every transfer to the host over two FIFOs (standin-protocol.ts), opened with
 * E.openFile: File.write flushes, File.read(n) blocks in fread until n bytes are there
 * (libs/filesystem/jswrap_file.c). The firmware's own PN532 driver runs unchanged on top.
 *
 * Kept small (it lives in the board's JsVars; interpreter-board.ts reports E.getSizeOf), ES5 only.
 * Timing and memory come from inside the interpreter: getTime() at each call's entry and exit,
 * process.memory(false) (no GC pass, src/jswrap_process.c) at entry.
 */
import { PN532_RESET_PIN } from '../../firmware/src/board/espruino/board-config';

/** Names the script defines on the board (global objects it replaces). */
export const STANDIN_GLOBALS = ['I2C1', PN532_RESET_PIN];

export function standInScript(requestFifo: string, answerFifo: string): string {
  return [
    '(function(){',
    `var q=E.openFile(${JSON.stringify(requestFifo)},"w"),a=E.openFile(${JSON.stringify(answerFifo)},"r"),x=getTime(),d=0;`,
    'function u(s){s=Math.round(s*1e6);return [s&255,s>>8&255,s>>16&255,s>>>24&255];}',
    'function c(o,g,b,n){var t=getTime(),m=process.memory(false).usage;',
    'q.write(E.toString(o,u(t-x),u(d),m&255,m>>8,g,b));',
    'var k=a.read(1).charCodeAt(0),s=k||!n?"":a.read(n);',
    'x=getTime();d=x-t;',
    'if(k)throw new Error("I2C: no ACK");',
    'return s;}',
    'I2C1={setup:function(){},',
    'writeTo:function(i,b){c(87,[i,b.length&255,b.length>>8],b,0);},',
    'readFrom:function(i,n){return E.toUint8Array(c(82,[i,n&255,n>>8],[],n));}};',
    `global.${PN532_RESET_PIN}={write:function(v){c(80,[v?1:0],[],0);}};`,
    '})();',
  ].join('\n');
}
