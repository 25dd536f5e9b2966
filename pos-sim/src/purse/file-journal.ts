/**
 * The POS journal (journal.ts) in a JSON file, so a `tapcard pos tap` that lost the card, or was
 * killed, settles it on the next run. Written to a temporary file, flushed to the disk, renamed over
 * the journal and the directory flushed (POSIX rename(2) is atomic): a crash or power cut leaves
 * the old or the new journal, never half of one, and a begun entry is on the disk before the card
 * sees the command.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MemoryJournal, type JournalState } from './journal';

export class FileJournal extends MemoryJournal {
  readonly file: string;

  private constructor(file: string, state: JournalState) {
    super(state);
    this.file = file;
  }

  /** Opens the journal at file (an empty one when it does not exist yet). */
  static open(file: string): FileJournal {
    let state: JournalState = { lastTerminalSerial: 0, pending: [] };
    if (fs.existsSync(file)) {
      let parsed: Partial<JournalState>;
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<JournalState>;
      } catch (err) {
        throw new Error(`${file}: not a POS journal (${(err as Error).message})`);
      }
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.lastTerminalSerial !== 'number' || !Array.isArray(parsed.pending)) {
        throw new Error(`${file} is not a POS journal (needs lastTerminalSerial and pending)`);
      }
      state = { lastTerminalSerial: parsed.lastTerminalSerial, pending: parsed.pending };
    }
    return new FileJournal(file, state);
  }

  protected async persist(): Promise<void> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(this.state, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dir = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}
