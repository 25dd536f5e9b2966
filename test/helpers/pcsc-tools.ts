/**
 * Drives the stock PC/SC command-line tools (pcsc-tools, OpenSC) against pcscd and parses what they
 * print, so tests check what a user of those tools would see. Output formats are those of
 * pcsc-tools 1.6 and OpenSC 0.23 (Debian 12).
 */
import { execFile } from 'node:child_process';
import { VPCD_READER_NAME } from '../../host/pcsc/pcscd';

/** opensc-tool -l can hang on a confused reader (docs/vpcd-pcscd.md "Limits"); no tool call may stall a test run. */
const TOOL_TIMEOUT_MS = 15_000;
const POLL_MS = 100;

export type ToolResult = { stdout: string; stderr: string };

export function runTool(cmd: string, args: string[], input?: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** "3B 80 80 01 01" -> "3b80800101" (the toHex form used everywhere else). */
function compactHex(spaced: string): string {
  return spaced.replace(/\s+/g, '').toLowerCase();
}

export type ReaderStatus = { reader: string; state: string; atr: string | null };

/** `pcsc_scan -c -n`: one pass over the readers, card state and ATR, no ATR analysis. */
export async function pcscScanCards(): Promise<ReaderStatus[]> {
  const { stdout } = await runTool('pcsc_scan', ['-c', '-n']);
  const readers: ReaderStatus[] = [];
  for (const line of stdout.split('\n')) {
    const reader = /^\s*Reader \d+: (.+?)\s*$/.exec(line);
    const state = /^\s*Card state: (.+?),?\s*$/.exec(line);
    const atr = /^\s*ATR: ([0-9A-F ]+?)\s*$/.exec(line);
    if (reader) readers.push({ reader: reader[1], state: '', atr: null });
    else if (state && readers.length > 0) readers[readers.length - 1].state = state[1];
    else if (atr && readers.length > 0) readers[readers.length - 1].atr = compactHex(atr[1]);
  }
  return readers;
}

/** Polls pcsc_scan until the reader reports a card (pcscd sees a tap only at its ~400 ms poll, docs/vpcd-pcscd.md "Limits"). */
export async function waitForCardInReader(reader = VPCD_READER_NAME, timeoutMs = 10_000): Promise<string> {
  return pollReader(reader, timeoutMs, 'a card', (s) => s.state.startsWith('Card inserted') && s.atr !== null);
}

export async function waitForEmptyReader(reader = VPCD_READER_NAME, timeoutMs = 10_000): Promise<void> {
  await pollReader(reader, timeoutMs, 'no card', (s) => s.state.startsWith('Card removed'));
}

async function pollReader(reader: string, timeoutMs: number, what: string, done: (s: ReaderStatus) => boolean): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: ReaderStatus[] = [];
  for (;;) {
    last = await pcscScanCards();
    const status = last.find((s) => s.reader === reader);
    if (status !== undefined && done(status)) return status.atr ?? '';
    if (Date.now() > deadline) throw new Error(`reader '${reader}' did not show ${what} within ${timeoutMs} ms; pcsc_scan saw ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export type OpenscReader = { index: number; cardPresent: boolean; name: string };

/** `opensc-tool -l`: a "Nr.  Card  Features  Name" table; the name starts under the "Name" header. */
export async function openscListReaders(): Promise<OpenscReader[]> {
  const { stdout } = await runTool('opensc-tool', ['-l']);
  const lines = stdout.split('\n');
  const header = lines.find((l) => l.startsWith('Nr.'));
  if (header === undefined) throw new Error(`opensc-tool -l printed no reader table:\n${stdout}`);
  const nameColumn = header.indexOf('Name');
  const rows: OpenscReader[] = [];
  for (const line of lines) {
    const m = /^(\d+)\s+(Yes|No)\s/.exec(line);
    if (m) rows.push({ index: Number(m[1]), cardPresent: m[2] === 'Yes', name: line.slice(nameColumn).trim() });
  }
  return rows;
}

/** One command and its answer as a tool printed them; hex in toHex form, response includes the SW. */
export type Exchange = { command: string; response: string; sw: string };

/** Width of the hex column in OpenSC's hex dump: 16 bytes of "XX " before the ASCII column. */
const OPENSC_DUMP_HEX_WIDTH = 16 * 3;

/**
 * `opensc-tool -r N -c default -s APDU...`. `-c default` keeps OpenSC from probing the card with
 * its own APDUs first (docs/vpcd-pcscd.md "Tools"), so the card sees exactly these commands.
 */
export async function runOpensc(apdusHex: string | string[], reader = 0): Promise<Exchange[]> {
  const apdus = typeof apdusHex === 'string' ? [apdusHex] : apdusHex;
  const args = ['-r', String(reader), '-c', 'default', ...apdus.flatMap((a) => ['-s', a])];
  const { stdout } = await runTool('opensc-tool', args);
  const exchanges: Array<{ command: string; data: string; sw: string }> = [];
  for (const line of stdout.split('\n')) {
    const sending = /^Sending: ([0-9A-F ]+)$/.exec(line.trimEnd());
    const received = /^Received \(SW1=0x([0-9A-F]{2}), SW2=0x([0-9A-F]{2})\)/.exec(line);
    const current = exchanges[exchanges.length - 1];
    if (sending) exchanges.push({ command: compactHex(sending[1]), data: '', sw: '' });
    else if (received && current) current.sw = (received[1] + received[2]).toLowerCase();
    else if (current && current.sw !== '' && /^([0-9A-F]{2} )+/.test(line)) current.data += compactHex(line.slice(0, OPENSC_DUMP_HEX_WIDTH));
  }
  if (exchanges.length !== apdus.length || exchanges.some((e) => e.sw === '')) {
    throw new Error(`opensc-tool did not answer every APDU:\n${stdout}`);
  }
  return exchanges.map((e) => ({ command: e.command, response: e.data + e.sw, sw: e.sw }));
}

/** `scriptor -r READER` with the lines on stdin ("00 A4 04 00 ..." per line, or "reset"). */
export async function runScriptor(lines: string[], reader = VPCD_READER_NAME): Promise<Exchange[]> {
  const { stdout } = await runTool('scriptor', ['-r', reader], `${lines.join('\n')}\n`);
  const exchanges: Exchange[] = [];
  let command = '';
  // A response longer than one line continues on indented lines until the ": <meaning>" suffix.
  let pending: string | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('> ')) command = compactHex(line.slice(2));
    if (line.startsWith('< ')) pending = '';
    if (pending === null) continue;
    const body = line.startsWith('< ') ? line.slice(2) : line;
    const end = body.indexOf(' : ');
    pending += ' ' + (end >= 0 ? body.slice(0, end) : body);
    if (end >= 0 || /^[0-9A-F ]*90 00\s*$/.test(body)) {
      const response = compactHex(pending);
      exchanges.push({ command, response, sw: response.slice(-4) });
      pending = null;
    }
  }
  return exchanges;
}
