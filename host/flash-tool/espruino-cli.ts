/**
 * Runs the official EspruinoTools command line (npm package `espruino`, bin/espruino-cli.js) in a
 * child process. A child, not `require('espruino')`, because the package's init() sets globals
 * (require, $, navigator, acorn) in the process that loads it. Output is handed over as it comes;
 * the exit code is returned but says little (it is 0 even on "Unable to connect!").
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function espruinoCliPath(): string {
  return require.resolve('espruino/bin/espruino-cli.js');
}

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export function runEspruinoCli(args: string[], cwd: string, output: CliOutput): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [espruinoCliPath(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', (t: string) => output.stdout(t));
    child.stderr.on('data', (t: string) => output.stderr(t));
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}
