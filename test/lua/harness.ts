/**
 * Runs Lua against the Lua build of the portable core under two interpreters:
 *  - fengari inside Node: Lua 5.3 with 32-bit integers, the number model of NodeMCU on ESP32;
 *  - Debian's lua5.3 as a child process (64-bit integers), when it is installed.
 * A snippet runs after the bundle (tools/lua/build.ts), so it starts with `require("core.bytes")`.
 * Whatever the snippet prints is the result; an uncaught Lua error is reported with a traceback.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fengari, { type LuaState } from 'fengari';
import { buildLua, readRuntime, renderBundle, UINT8ARRAY_MODULE } from '../../tools/lua/build';

const { lua, lauxlib, lualib, to_luastring } = fengari;

export type Interpreter = 'fengari' | 'lua5.3';

export interface LuaOutcome {
  interpreter: Interpreter;
  /** Everything print() wrote, lines joined by "\n" with a trailing "\n". */
  output: string;
  /** The uncaught error with traceback, when the snippet failed. */
  error?: string;
}

export const LUA53_COMMAND = 'lua5.3';

let lua53Present: boolean | undefined;

/** True when the lua5.3 command runs here (Debian package lua5.3). */
export function hasLua53(): boolean {
  if (lua53Present === undefined) {
    const probe = spawnSync(LUA53_COMMAND, ['-v'], { encoding: 'utf8' });
    lua53Present = probe.error === undefined && probe.status === 0;
  }
  return lua53Present;
}

let builtBundle: { path: string } | { error: Error } | undefined;

/**
 * Builds the core into a fresh temporary directory once per test process and returns the bundle
 * path, so a test never runs a stale dist/lua. Throws with the lint/diagnostic lines on failure.
 */
export function coreBundle(): string {
  if (builtBundle === undefined) {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-lua-'));
    const result = buildLua({ outDir });
    builtBundle =
      result.problems.length > 0
        ? { error: new Error(`Lua build of firmware/src/core failed:\n${result.problems.join('\n')}`) }
        : { path: result.bundlePath };
  }
  if ('error' in builtBundle) throw builtBundle.error; // built once per process, failure included
  return builtBundle.path;
}

let runtimeOnly: string | undefined;

/**
 * A bundle of the hand-written Lua runtime alone (firmware/lua: Uint8Array, core.bits), for tests
 * of the runtime that must not depend on the state of the rest of the core.
 */
export function runtimeBundle(): string {
  if (runtimeOnly === undefined) {
    const sources = new Map([
      [UINT8ARRAY_MODULE, readRuntime('uint8array.lua')],
      ['core.bits', readRuntime('bits.lua')],
    ]);
    runtimeOnly = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-lua-runtime-')), 'runtime.lua');
    fs.writeFileSync(runtimeOnly, renderBundle(sources));
  }
  return runtimeOnly;
}

/** Runs the bundle, then the snippet, in a fresh fengari state. */
export function runFengari(bundlePath: string, snippet: string): LuaOutcome {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const out: Uint8Array[] = [];
  // print() as in lbaselib.c, into a buffer instead of process.stdout.
  lua.lua_pushjsfunction(L, (state: LuaState) => {
    const n = lua.lua_gettop(state);
    for (let i = 1; i <= n; i++) {
      if (i > 1) out.push(TAB);
      out.push(lauxlib.luaL_tolstring(state, i));
      lua.lua_pop(state, 1);
    }
    out.push(NEWLINE);
    return 0;
  });
  lua.lua_setglobal(L, to_luastring('print'));
  // Message handler at stack index 1, as lua.c's msghandler: __tostring of error objects, traceback.
  runChunk(L, Buffer.from(TRACEBACK_HANDLER), '=handler', 1);
  const error =
    runChunk(L, fs.readFileSync(bundlePath), '@' + bundlePath) ?? runChunk(L, Buffer.from(snippet, 'utf8'), '=snippet');
  const output = Buffer.concat(out).toString('utf8');
  return error === undefined ? { interpreter: 'fengari', output } : { interpreter: 'fengari', output, error };
}

const TRACEBACK_HANDLER = 'return function(e) return debug.traceback(tostring(e), 2) end';
const TAB = Uint8Array.of(0x09);
const NEWLINE = Uint8Array.of(0x0a);

/**
 * Loads and runs one chunk, keeping `results` return values on the stack; on failure returns the
 * message (with traceback once the handler sits at stack index 1).
 */
function runChunk(L: LuaState, source: Uint8Array, chunkName: string, results = 0): string | undefined {
  const handler = lua.lua_gettop(L) > 0 ? 1 : 0;
  let status = lauxlib.luaL_loadbuffer(L, source, null, to_luastring(chunkName));
  if (status === lua.LUA_OK) status = lua.lua_pcall(L, 0, results, handler);
  if (status === lua.LUA_OK) return undefined;
  const message = lua.lua_tojsstring(L, -1) ?? 'error object is not a string';
  lua.lua_pop(L, 1);
  return message;
}

/** Runs the bundle, then the snippet (from stdin), with the lua5.3 command; undefined if absent. */
export function runLua53(bundlePath: string, snippet: string): LuaOutcome | undefined {
  if (!hasLua53()) return undefined;
  const run = spawnSync(LUA53_COMMAND, ['-e', `dofile(${luaString(bundlePath)})`, '-'], {
    input: snippet,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error !== undefined) throw run.error;
  const outcome: LuaOutcome = { interpreter: 'lua5.3', output: run.stdout };
  if (run.status !== 0) outcome.error = run.stderr.length > 0 ? run.stderr : `lua5.3 exited with status ${run.status}`;
  return outcome;
}

/**
 * The snippet under every available interpreter: fengari always, lua5.3 when installed. This is
 * the entry point for scripted sessions: print what must match, then compare outputs.
 */
export function runLuaEverywhere(snippet: string, bundlePath: string = coreBundle()): LuaOutcome[] {
  const outcomes = [runFengari(bundlePath, snippet)];
  const native = runLua53(bundlePath, snippet);
  if (native !== undefined) outcomes.push(native);
  return outcomes;
}

/**
 * Lua helpers a snippet can start with: new(Class, ...) as TSTL's `new`, u8("00a4") for a byte
 * array from hex, hex(b[, off, len]) for the lower-case hex of a byte array (range).
 */
export const SNIPPET_HELPERS = `local function new(class, ...)
  local o = setmetatable({}, class.prototype)
  o:____constructor(...)
  return o
end
local function u8(text)
  local b = new(Uint8Array, #text // 2)
  for i = 0, b.length - 1 do b[i] = tonumber(text:sub(2 * i + 1, 2 * i + 2), 16) end
  return b
end
local function hex(b, off, len)
  local parts = {}
  off = off or 0
  for i = off, off + (len or b.length - off) - 1 do parts[#parts + 1] = string.format("%02x", b[i]) end
  return table.concat(parts)
end
`;

/**
 * A Lua string literal holding exactly the UTF-8 bytes of s: printable ASCII as is, everything
 * else (and the quote and backslash) as a decimal escape, which Lua 5.1..5.4 all read.
 */
export function luaString(s: string): string {
  let body = '';
  for (const b of Buffer.from(s, 'utf8')) {
    body += b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0');
  }
  return '"' + body + '"';
}
