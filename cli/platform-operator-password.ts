/**
 * `tapcard platform operator-password`, wired from cli/platform.ts: replaces the operator
 * console's credential (platform-server/src/web/operator-credential.ts) with one the operator
 * chose, read from --password-file or standard input (never from the command line, where `ps`
 * and shell history would show it), or with a new random one (--generate, printed once). The old
 * credential stops working at once and the console's open sessions end, in a running platform too.
 */
import { readFileSync } from 'node:fs';
import { EXIT } from '../contracts/exit-codes';
import { audit } from '../platform-server/src/db/audit';
import {
  OPERATOR_CREDENTIAL_MAX, OPERATOR_CREDENTIAL_MIN, OperatorCredentialError, rotateOperatorCredential, setOperatorCredential,
} from '../platform-server/src/web/operator-credential';
import { runCommand, UsageError } from './command';
import { PLATFORM_OPTIONS, withPlatform } from './platform-options';

export const HELP_OPERATOR_PASSWORD = `usage: tapcard platform operator-password [--password-file FILE | --generate] [--data DIR] [--db URL] [--json]

Replaces the operator console's credential. The new one is the first line of FILE, or of standard
input when no file is given (a terminal asks for it without showing it): ${OPERATOR_CREDENTIAL_MIN} to ${OPERATOR_CREDENTIAL_MAX} characters,
no control characters. Only its scrypt hash is kept. The old credential stops working at once and
every console session opened with it ends, also in a running platform.

  --password-file FILE  read the new credential from FILE (its first line)
  --generate            make a new random credential and print it once

exit codes: 0 changed, 1 the platform could not be opened or written, 2 usage or a credential
that is too short, too long or holds control characters (nothing changed)
`;

function firstLine(text: string): string {
  const nl = text.search(/\r?\n/);
  return nl < 0 ? text : text.slice(0, nl);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One line typed on the terminal, not echoed; Ctrl-C or Ctrl-D gives up. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err === null) resolve(line);
      else reject(err);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || ch === '\u0004') return finish(new UsageError('no credential typed'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function newCredential(file: string | undefined): Promise<string> {
  if (file !== undefined) {
    try {
      return firstLine(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--password-file: ${(e as Error).message}`);
    }
  }
  if (process.stdin.isTTY) return readHidden('new operator credential: ');
  return firstLine(await readStdin());
}

export function operatorPasswordCommand(argv: string[]): Promise<number> {
  const options = {
    ...PLATFORM_OPTIONS, 'password-file': { type: 'string' }, generate: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
  } as const;
  return runCommand({ name: 'platform operator-password', help: HELP_OPERATOR_PASSWORD, options }, argv, async (v) => {
    if (v.generate && v['password-file'] !== undefined) throw new UsageError('give --password-file or --generate, not both');
    const chosen = v.generate ? null : await newCredential(v['password-file']);
    return withPlatform(v, (p) => {
      try {
        let generated: string | null = null;
        if (chosen === null) generated = rotateOperatorCredential(p.db);
        else setOperatorCredential(p.db, chosen);
        audit(p.db, 'cli', 'operator.credential.changed', null, { generated: generated !== null });
        if (v.json) console.log(JSON.stringify(generated === null ? { changed: true } : { changed: true, operator: generated }));
        else if (generated !== null) console.log(`operator credential changed\n  operator  ${generated} (shown once, only its hash is kept)`);
        else console.log('operator credential changed; console sessions opened with the old one have ended');
        return EXIT.OK;
      } catch (e) {
        if (e instanceof OperatorCredentialError) throw new UsageError(`${e.message}; nothing changed`);
        throw e;
      }
    });
  });
}
