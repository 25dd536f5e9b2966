/**
 * The upload progress for a person: a bar redrawn in place on a terminal, a line per quarter
 * otherwise (CI logs).
 */
import type { FlashProgress } from './flash';

const WIDTH = 30;

export function renderBar(p: FlashProgress): string {
  const filled = Math.round(p.fraction * WIDTH);
  const pct = String(Math.round(p.fraction * 100)).padStart(3);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${pct}%  ${p.chunksSent}/${p.totalChunks} KB chunks`;
}

export function progressPrinter(stream: NodeJS.WriteStream): (p: FlashProgress) => void {
  let lastQuarter = -1;
  let drawing = false;
  return (p) => {
    if (p.stage === 'build') {
      stream.write('building dist/firmware/espruino.js ...\n');
      return;
    }
    if (p.stage === 'verify') {
      if (drawing) stream.write('\n');
      drawing = false;
      stream.write('checking the flashed firmware: status()\n');
      return;
    }
    if (stream.isTTY) {
      stream.write(`\r${renderBar(p)}`);
      drawing = true;
      return;
    }
    const quarter = Math.floor(p.fraction * 4);
    if (quarter !== lastQuarter) {
      lastQuarter = quarter;
      stream.write(`${renderBar(p)}\n`);
    }
  };
}
