/**
 * The layers' import rules, checked on every source file: the portable core imports nothing
 * outside itself (what it needs from a platform comes through its ports, firmware/src/core/ports);
 * the firmware imports no Node module and only constants-only contracts; platform-server imports
 * no CLI, POS, host or test code, nor the simulated parties; the simulated parties import only the
 * contracts, the core and themselves; pos-sim imports only the contracts, the core and the reader
 * transports; contracts import only themselves, the core and their schema library; net (the I/O
 * both the platform and the terminals use: MQTT link transport, JSON over HTTP, the pages' server)
 * imports only itself, the contracts and the core; host imports no platform-server code; the web
 * pages and their servers import no dev dependency, so `npm install --omit=dev` serves every page.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ESPRUINO_BUILTIN_MODULES } from '../../tools/firmware/build-firmware';

const ROOT = path.resolve(__dirname, '../..');

interface Import {
  from: string;
  /** Repository-relative path without extension, or `pkg:NAME` for a package. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function importsOf(dir: string): Import[] {
  const out: Import[] = [];
  for (const file of sourceFiles(dir)) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)).replace(/\.(ts|js)$/, '') : `pkg:${spec}`;
      out.push({ from: file, target });
    }
  }
  return out;
}

const NODE_BUILTINS = new Set(builtinModules);
const isNodeModule = (target: string) => target.startsWith('pkg:node:') || NODE_BUILTINS.has(target.slice(4));
const under = (target: string, ...dirs: string[]) => dirs.some((d) => target === d || target.startsWith(`${d}/`));
const show = (bad: Import[]) => bad.map((i) => `${i.from} -> ${i.target}`);

describe('layer boundaries', () => {
  it('the portable core imports only itself', () => {
    const bad = importsOf('firmware/src/core').filter((i) => !under(i.target, 'firmware/src/core'));
    expect(show(bad)).toEqual([]);
  });

  it('the firmware imports no package but Espruino\'s own modules (board only), and from contracts only files that import nothing', () => {
    const espruino = new Set<string>(ESPRUINO_BUILTIN_MODULES);
    const bad = importsOf('firmware/src').filter((i) => {
      if (i.target.startsWith('pkg:')) return !(i.from.startsWith('firmware/src/board/espruino/') && espruino.has(i.target.slice(4)));
      if (under(i.target, 'contracts')) return importsOf(path.dirname(i.target)).some((c) => c.from === `${i.target}.ts`);
      return !under(i.target, 'firmware/src');
    });
    expect(show(bad)).toEqual([]);
  });

  it('platform-server imports no CLI, POS, host, test or bench code', () => {
    const bad = importsOf('platform-server').filter((i) => under(i.target, 'cli', 'pos-sim', 'host', 'test', 'bench', 'tools'));
    expect(show(bad)).toEqual([]);
  });

  it('platform-server reaches the simulated parties only through the contracts: it imports nothing from parties/', () => {
    // The composition root that makes the parties and hands them to the platform is cli/simulated-parties.ts.
    const bad = importsOf('platform-server').filter((i) => under(i.target, 'parties'));
    expect(show(bad)).toEqual([]);
  });

  it('the simulated parties import only themselves, the contracts, the core, Node and their packages: never the platform', () => {
    const bad = importsOf('parties').filter((i) => !i.target.startsWith('pkg:') && !under(i.target, 'parties', 'contracts', 'firmware/src/core'));
    expect(show(bad)).toEqual([]);
  });

  it('pos-sim imports only the contracts, the core and the reader transports', () => {
    // web/pos/wire is the contract between the till page and pos-sim's till.
    const allowed = ['pos-sim', 'contracts', 'firmware/src/core', 'host/vpcd', 'host/gp/pcsc-transport', 'web/pos/wire'];
    const bad = importsOf('pos-sim').filter((i) => !i.target.startsWith('pkg:') && !under(i.target, ...allowed));
    expect(show(bad)).toEqual([]);
  });

  it('net imports only itself, the contracts, the core, Node and packages', () => {
    const bad = importsOf('net').filter((i) => !i.target.startsWith('pkg:') && !under(i.target, 'net', 'contracts', 'firmware/src/core'));
    expect(show(bad)).toEqual([]);
  });

  it('host imports no platform-server code: what it shares with the platform is in contracts and net', () => {
    const bad = importsOf('host').filter((i) => under(i.target, 'platform-server'));
    expect(show(bad)).toEqual([]);
  });

  it('contracts import only themselves, the core, Node and their schema library', () => {
    const bad = importsOf('contracts').filter((i) => (i.target.startsWith('pkg:') ? !isNodeModule(i.target) && i.target !== 'pkg:zod' : !under(i.target, 'contracts', 'firmware/src/core')));
    expect(show(bad)).toEqual([]);
  });

  // `tapcard emulate`, `flash` and `demo` build the firmware (tools/firmware, TypeScript) and still need a development install.
  it('the web pages and the processes that serve them (CLI, platform, POS, terminal) import only packages in dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
    const installed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);
    const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
    const bad = ['cli', 'platform-server', 'pos-sim', 'host/terminal', 'contracts', 'net', 'web']
      .flatMap((dir) => importsOf(dir))
      .filter((i) => i.target.startsWith('pkg:') && !isNodeModule(i.target) && !installed.has(packageName(i.target.slice(4))));
    expect(show(bad)).toEqual([]);
  });
});
