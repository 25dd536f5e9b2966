/**
 * Firmware bundle for Espruino (docs/espruino.md "Language"):
 *
 *   1. tsc, target and module ES2015, from the entry firmware/src/board/espruino/entry.ts into a
 *      temporary directory. ES2015 keeps what Espruino runs natively (classes, arrow functions,
 *      let/const, template literals, shorthand properties; src/jsparse.c), which is about 9 KB
 *      smaller than tsc's ES5 lowering of classes; class fields become constructor assignments;
 *      the core's shr(x, n) calls become `x >>> n` (inline-shr.ts): a call costs Espruino more
 *      than the operator;
 *   2. esbuild bundles those ES modules with scope hoisting, so every module's code comes after
 *      the modules it imports, ASCII only (EspruinoTools replaces any character above 255 with
 *      "?", core/codeWriter.js), wrapped in one IIFE; numeric constants become literals
 *      (inline-constants.ts, below) and the lazy parts are cut out (lazy-parts.ts: code the board
 *      defines only while it uses it) while top-level names are still the source's; a second
 *      esbuild pass then minifies. What Espruino lacks (destructuring,
 *      spread, rest and default parameters, for..of, `**`, ...) is marked unsupported so esbuild
 *      lowers it or fails. Property names the firmware provably owns are shortened
 *      (owned-names.ts, short-names.ts; about 20 KB). Espruino's built-in modules stay `require("Storage")` etc. (format cjs
 *      keeps require calls as they are);
 *   3. (top-level numeric constants and tables of numbers became literals in step 2,
 *      inline-constants.ts: each top-level name is a JsVar on the board for as long as the firmware
 *      runs); the IIFE goes, so the top level runs in Espruino's global scope (global-scope.ts: a function created
 *      inside a scope costs a JsVar more);
 *      the compat pass (espruino-compat.ts: names Espruino reserves, `return}`), lines cut to
 *      about 256 characters (line-breaks.ts: Espruino's stack traces grow with the column), then
 *      the syntax gate (syntax-gate.ts) on the exact output bytes;
 *   4. the size limit: at most 128 KB;
 *   5. the boot check (boot-check.ts): the bundle boots in the emulator and answers its console,
 *      and does the same on the real interpreter when TAPCARD_ESPRUINO names it
 *      (interpreter-boot-check.ts).
 *
 * Nothing is written unless every step passes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { build as esbuild, transform as esbuildTransform } from 'esbuild';
import { checkEspruinoSyntax, formatViolations } from './syntax-gate';
import { makeEspruinoCompatible } from './espruino-compat';
import { inlineNumericConstants } from './inline-constants';
import { toGlobalScope } from './global-scope';
import { breakLongLines } from './line-breaks';
import { ownedPropertyNames } from './owned-names';
import { shortNameMap, wordCounts } from './short-names';
import { bootCheck } from './boot-check';
import { inlineShr } from './inline-shr';
import { type LazyPart, splitLazyParts } from './lazy-parts';
import { interpreterBootCheck } from './interpreter-boot-check';
import { espruinoBinary } from '../../host/interpreter/espruino-binary';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIRMWARE_SRC = path.join(REPO_ROOT, 'firmware/src');
export const ENTRY = path.join(FIRMWARE_SRC, 'board/espruino/entry.ts');
export const DEFAULT_BUNDLE = path.join(REPO_ROOT, 'dist/firmware/espruino.js');
/**
 * The minified bundle stays at or below 128 KB. Run from Storage (.bootcde), Espruino keeps each
 * function's source in flash, so code bytes cost flash, not JsVars; the ESP32 build's Storage has
 * 896 KB. The limit was 96 KB until speed and memory work began trading code bytes for fewer
 * JsVars and fewer tokens on hot paths (docs/board.md "Bundle size").
 */
export const MAX_BUNDLE_BYTES = 128 * 1024;
/** Espruino's native modules the bundle requires (ESP32 build). */
export const ESPRUINO_NATIVE_MODULES = ['Storage', 'crypto', 'net', 'Wifi', 'tls'];
/**
 * JavaScript modules the bundle requires but does not contain: the board loads each from the
 * Storage file of that name (Espruino 2v00+), installed once (docs/board.md "Wi-Fi and broker").
 * MQTT is EspruinoDocs modules/MQTT.js.
 */
export const ESPRUINO_STORAGE_MODULES = ['MQTT'];
/**
 * Modules the uploader must not fetch (the board JSON's builtin_modules, host/flash-tool): native
 * ones and those the board keeps in Storage.
 */
export const ESPRUINO_BUILTIN_MODULES = ESPRUINO_NATIVE_MODULES.concat(ESPRUINO_STORAGE_MODULES);

/**
 * Code the board defines only while it is used (lazy-parts.ts), by the names resident code reaches
 * it through.
 */
export const LAZY_PARTS: LazyPart[] = [
  // an SCP03 session's objects on the SE and the content management it serves (core/se/isd-session.ts)
  { name: 'isdSessionPart', roots: ['IsdSession'] },
  // flow 1's SCP03 host on the MCU, created by the grant that opens it (core/mcu/management-session.ts)
  { name: 'managementPart', roots: ['ManagementSession'] },
  // boot only: the provisioning file's parser, the DES round tables' file and builders, the store's mount scan
  { name: 'provisioningPart', roots: ['loadProvisioning'] },
  { name: 'desTablesPart', roots: ['storedDesTables'] },
  { name: 'mountPart', roots: ['scanLog', 'eraseUnusedPages', 'damageText'] },
  // never on the board: the store's portable CRC-32, there for a Store given no native one (se-boot.ts gives E.CRC32)
  { name: 'crcPart', roots: ['crc32'] },
  // console commands and the chip check of a board without an SE
  { name: 'statusPart', roots: ['statusLines'] },
  { name: 'cardsPart', roots: ['cardLines', 'balanceLines'] },
  { name: 'chipCheckPart', roots: ['ChipCheck'] },
  // application classes the SE has no card of yet: each card's applet holds its own part's code
  { name: 'loyaltyInstallPart', roots: ['installLoyalty'] },
  { name: 'loyaltyPart', roots: ['LoyaltyApplet'] },
  { name: 'plainPart', roots: ['PlainApplet'] },
  // a purse card's runtime object, made at its first SELECT (core/se/card-slot.ts)
  { name: 'purseAppletPart', roots: ['PurseApplet'] },
  // the MCU with the link endpoint, reassembler, relay and their buffers, while the link has work (board/espruino/mcu-link.ts)
  { name: 'linkPart', roots: ['Mcu'] },
  // the PN532 driver with the card emulation or the chip check, dropped while the link works (board/espruino/card-side.ts)
  { name: 'cardSidePart', roots: ['startCardSide'] },
];

export interface FirmwareBuildOptions {
  outFile?: string;
  /** Entry module (default: the board's entry.ts); tests pass small programs under the repository. */
  entry?: string;
  /** Build label baked into the bundle (status() prints it); default "<version>+<git short hash>". */
  buildLabel?: string;
  /** Size limit in bytes (tests lower it to check the limit). */
  maxBytes?: number;
  /** false: readable output for debugging a gate finding (the size limit still applies). */
  minify?: boolean;
  /** Code defined on use (lazy-parts.ts); default LAZY_PARTS for the board's entry, none for another entry. */
  lazyParts?: LazyPart[];
  /** The espruino binary for the boot check on the real interpreter; default TAPCARD_ESPRUINO, null: skip it. */
  espruino?: string | null;
}

export interface FirmwareBuildResult {
  ok: boolean;
  /** Problems, one per line, each naming file, position and construct. Empty when ok. */
  problems: string[];
  bytes: number;
  outFile: string;
  code: string;
  /** Property names the build shortened, original -> short (for reading a profile of the bundle). */
  renames: Record<string, string>;
  /** Top-level names each lazy part defines when called (lazy-parts.ts). */
  lazyParts: Record<string, string[]>;
  /** JsVars in use after boot on the real interpreter (its boot check), when it ran. */
  interpreterVars?: { afterBoot: number; total: number };
}

export class FirmwareBuildError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('firmware build failed:\n' + problems.join('\n'));
    this.problems = problems;
  }
}

function defaultBuildLabel(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  let rev = 'nogit';
  try {
    rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a checkout: keep "nogit"
  }
  return `${pkg.version}+${rev}`;
}

/**
 * ES2015 features Espruino does not have (docs/espruino.md): esbuild must lower them or fail.
 * Classes, arrows, let/const, template literals and object shorthand stay.
 */
const LOWERED_FOR_ESPRUINO = {
  destructuring: false,
  'default-argument': false,
  'rest-argument': false,
  'array-spread': false,
  'object-rest-spread': false,
  'for-of': false,
  'exponent-operator': false,
  generator: false,
  'async-await': false,
  'async-generator': false,
  'optional-chain': false,
  'nullish-coalescing': false,
  'logical-assignment': false,
  'class-field': false,
  'class-static-field': false,
  'class-private-field': false,
  'class-private-method': false,
  'class-static-blocks': false,
  'optional-catch-binding': false,
  bigint: false,
  'regexp-sticky-and-unicode-flags': false,
};

/** Declarations of Espruino's API: their member names are Espruino's, never renamed. */
export const ESPRUINO_API_FILE = path.join(FIRMWARE_SRC, 'board/espruino/espruino-api.ts');

function isFirmwareOwnFile(fileName: string): boolean {
  const f = path.resolve(fileName);
  return f.startsWith(FIRMWARE_SRC + path.sep) && f !== ESPRUINO_API_FILE && !f.endsWith('.d.ts');
}

function emittedCode(dir: string): string {
  let all = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) all += fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return all;
}

/** Step 1: TypeScript to ES2015 modules; returns the emitted entry, the property renaming, or problems. */
function compileToEs2015(entry: string, outDir: string): { entry: string; renames: Record<string, string>; problems: string[] } {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2015,
    module: ts.ModuleKind.ES2015,
    useDefineForClassFields: false,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    skipLibCheck: true,
    removeComments: true,
    noEmitOnError: true,
    importHelpers: false,
    rootDir: REPO_ROOT,
    outDir,
  };
  const program = ts.createProgram([entry], options);
  const emit = program.emit(undefined, undefined, undefined, false, {
    before: [inlineShr(program.getTypeChecker(), path.join(FIRMWARE_SRC, 'core/bits.ts'))],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(emit.diagnostics);
  const problems = diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.relative(REPO_ROOT, d.file.fileName)}:${line + 1}:${character + 1}: tsc: ${text}`;
    }
    return `tsc: ${text}`;
  });
  let renames: Record<string, string> = {};
  if (problems.length === 0) {
    const names = ownedPropertyNames(program, isFirmwareOwnFile);
    renames = shortNameMap(names.owned, names.kept, wordCounts(emittedCode(outDir)));
  }
  return {
    entry: path.join(outDir, path.relative(REPO_ROOT, entry).replace(/\.ts$/, '.js')),
    renames,
    problems: Array.from(new Set(problems)),
  };
}

/** esbuild renames exactly the names in the map, to the names in the map. */
function manglePropsOptions(renames: Record<string, string>): { mangleProps?: RegExp; mangleCache?: Record<string, string> } {
  const names = Object.keys(renames);
  if (names.length === 0) return {};
  return { mangleProps: new RegExp(`^(${names.map((n) => n.replace(/\$/g, '\\$')).join('|')})$`), mangleCache: renames };
}

/** Runs the whole build; writes the bundle only when it passes. */
export async function buildFirmware(options: FirmwareBuildOptions = {}): Promise<FirmwareBuildResult> {
  const outFile = options.outFile ?? DEFAULT_BUNDLE;
  const maxBytes = options.maxBytes ?? MAX_BUNDLE_BYTES;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-fw-'));
  try {
    const compiled = compileToEs2015(options.entry ?? ENTRY, tmp);
    if (compiled.problems.length > 0) return { ok: false, problems: compiled.problems, bytes: 0, outFile, code: '', renames: {}, lazyParts: {} };

    // Pass 1 bundles (constants folded and inlined) with the source's names, which the lazy parts need.
    const bundled = await esbuild({
      entryPoints: [compiled.entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'es2015',
      supported: LOWERED_FOR_ESPRUINO,
      minifySyntax: options.minify ?? true,
      ...manglePropsOptions(compiled.renames),
      charset: 'ascii',
      legalComments: 'none',
      external: ESPRUINO_BUILTIN_MODULES,
      define: { TAPCARD_BUILD: JSON.stringify(options.buildLabel ?? defaultBuildLabel()) },
      banner: { js: '(function(){' },
      footer: { js: '})();' },
      logLevel: 'silent',
    });
    const inlined = inlineNumericConstants(bundled.outputFiles[0].text).code;
    const split = splitLazyParts(inlined, options.lazyParts ?? (options.entry === undefined ? LAZY_PARTS : []));
    if (split.problems.length > 0) return { ok: false, problems: split.problems, bytes: 0, outFile, code: '', renames: compiled.renames, lazyParts: {} };
    // Pass 2 minifies, the parts' names with the rest (--no-minify keeps pass 1's text).
    const minified =
      options.minify === false
        ? split.code
        : (await esbuildTransform(split.code, { target: 'es2015', supported: LOWERED_FOR_ESPRUINO, minify: true, charset: 'ascii', legalComments: 'none', logLevel: 'silent' })).code;
    const global = toGlobalScope(minified);
    const code = breakLongLines(makeEspruinoCompatible(global.code));
    const problems: string[] = [...global.problems];
    const violations = checkEspruinoSyntax(code);
    if (violations.length > 0) problems.push(formatViolations(path.basename(outFile), violations));
    const bytes = Buffer.byteLength(code, 'latin1');
    if (bytes > maxBytes) problems.push(`bundle is ${bytes} bytes, over the ${maxBytes}-byte limit (128 KB)`);
    if (problems.length === 0 && options.entry === undefined) problems.push(...bootCheck(code));
    let interpreterVars: FirmwareBuildResult['interpreterVars'];
    const espruino = options.espruino === undefined ? espruinoBinary() : options.espruino;
    if (problems.length === 0 && options.entry === undefined && espruino !== null) {
      const real = await interpreterBootCheck(code, espruino);
      problems.push(...real.problems);
      if (real.varsAfterBoot !== null && real.totalVars !== null) interpreterVars = { afterBoot: real.varsAfterBoot, total: real.totalVars };
    }
    if (problems.length > 0) return { ok: false, problems, bytes, outFile, code, renames: compiled.renames, lazyParts: split.moved };

    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, code, 'latin1');
    return { ok: true, problems: [], bytes, outFile, code, renames: compiled.renames, lazyParts: split.moved, interpreterVars };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
