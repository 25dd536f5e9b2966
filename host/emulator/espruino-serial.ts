/**
 * Serial1, the UART the console is on (boards/ESP32.py default_console EV_SERIAL1, so
 * process.env.CONSOLE is "Serial1" and `eval(process.env.CONSOLE).println(...)` writes to the
 * console). src/jswrap_serial.c _jswrap_serial_print: print() and println() send the argument as a
 * string (jsvAsString: `[1,2,3]` is "1,2,3", undefined is "undefined"), println() adds "\r\n";
 * write() sends bytes (numbers, strings, arrays, typed arrays, {data,count}). Nothing is converted:
 * a "\n" goes out as a bare LF, unlike print()'s console output.
 */
import { flattenData } from './espruino-hardware';
import { espruinoString } from './espruino-values';

export class EmulatedSerial {
  constructor(private readonly transmit: (latin1: string) => void) {}

  print(value: unknown): void {
    this.transmit(asBytes(espruinoString(value)));
  }

  println(value: unknown): void {
    this.transmit(`${asBytes(espruinoString(value))}\r\n`);
  }

  write(...data: unknown[]): void {
    this.transmit(String.fromCharCode(...flattenData(data)));
  }
}

/** Espruino strings hold bytes: a character above 0xFF keeps its low byte. */
function asBytes(s: string): string {
  return s.replace(/[^\x00-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0xff));
}
