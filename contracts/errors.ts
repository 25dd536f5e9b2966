/**
 * The one base error every part of tapcard may throw across a boundary: it carries the exit code
 * the CLI ends with, so `tapcard` maps any failure to a code without knowing where it came from.
 */
import { EXIT, type ExitCode } from './exit-codes';

export class TapcardError extends Error {
  constructor(message: string, readonly code: ExitCode = EXIT.FAILURE) {
    super(message);
    this.name = new.target.name;
  }
}
