/**
 * The TypeScript program of the portable core as the Lua build sees it: every .ts file under
 * firmware/src/core, compiled with typescript-to-lua options for Lua 5.3 (docs/portable-core.md "The Lua build").
 * Shared by the build (build.ts) and the portable-core lint (lint.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LuaLibImportKind, LuaTarget, type CompilerOptions } from 'typescript-to-lua';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SOURCE_ROOT = path.join(REPO_ROOT, 'firmware/src');
export const CORE_DIR = path.join(SOURCE_ROOT, 'core');
/** The per-runtime right-shift helper: exempt from the lint, replaced by firmware/lua/bits.lua. */
export const SHIFT_HELPER_FILE = path.join(CORE_DIR, 'bits.ts');

/**
 * Compiler options: the repository's strict settings, no ambient Node types (a platform global in
 * the core is a type error), and TSTL's Lua 5.3 target. noImplicitSelf makes exported functions
 * plain Lua functions (no leading self argument), so board code and tests call them directly.
 */
export function coreCompilerOptions(outDir: string, rootDir: string = SOURCE_ROOT): CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    skipLibCheck: true,
    rootDir,
    outDir,
    luaTarget: LuaTarget.Lua53,
    luaLibImport: LuaLibImportKind.RequireMinimal,
    noImplicitSelf: true,
    noHeader: true,
  };
}

/** Every TypeScript source under dir (sorted, no declaration files), recursively. */
export function listCoreFiles(dir: string = CORE_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** rootDir is the folder above the core, so module names read "core.bytes", "core.crypto.aes". */
export function createCoreProgram(
  files: readonly string[],
  outDir: string = path.join(REPO_ROOT, 'dist/lua/modules'),
  rootDir: string = SOURCE_ROOT,
): ts.Program {
  return ts.createProgram(files, coreCompilerOptions(outDir, rootDir));
}
