/**
 * The POS journal (journal.ts) in a JSON file, so a `tapcard pos tap` that lost the card settles it
 * on the next run. Written to a temporary file and renamed, so a crash leaves the old or the new
 * journal, never half of one.
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
    fs.writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    fs.renameSync(tmp, this.file);
  }
}
