/**
 * The store compiled to Lua 5.3 (typescript-to-lua) must write the same bytes as on Node
 * (docs/portable-core.md): fengari has NodeMCU's 32-bit integers. One scenario (commits with
 * compaction, a power cut inside a transaction, recovery) runs on a Lua flash and on MemoryFlash;
 * the printed state and a CRC of the whole flash image must be identical.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLua } from '../../tools/lua/build';
import { requireDebian } from '../helpers/skip';
import { runFengari, runLua53 } from '../lua/harness';
import { MemoryFlash, PowerCutError } from '../../host/flash/memory-flash';
import { CRC16_INIT, crc16 } from '../../firmware/src/core/store/crc16';
import { Store } from '../../firmware/src/core/store/store';
import { checkStore } from '../../firmware/src/core/store/check';

const SRC = path.resolve(__dirname, '../../firmware/src');

/** Builds bits, bytes and store/ (plus the Flash port) alone, so other core modules cannot break this. */
function buildStoreBundle(): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-store-lua-'));
  const core = path.join(tmp, 'core');
  fs.mkdirSync(path.join(core, 'store'), { recursive: true });
  fs.mkdirSync(path.join(core, 'ports'));
  for (const f of ['bits.ts', 'bytes.ts']) fs.copyFileSync(path.join(SRC, 'core', f), path.join(core, f));
  for (const f of fs.readdirSync(path.join(SRC, 'core', 'store'))) {
    fs.copyFileSync(path.join(SRC, 'core', 'store', f), path.join(core, 'store', f));
  }
  fs.copyFileSync(path.join(SRC, 'core', 'ports', 'flash.ts'), path.join(core, 'ports', 'flash.ts'));
  const result = buildLua({ coreDir: core, outDir: path.join(tmp, 'out') });
  if (result.problems.length > 0) throw new Error(`Lua build of the store failed:\n${result.problems.join('\n')}`);
  return result.bundlePath;
}

const PAGES = 3;

const SNIPPET = `
local storeModule = require("core.store.store")
local crcModule = require("core.store.crc16")
local checkModule = require("core.store.check")

local Flash = {}
Flash.__index = Flash
local function newFlash(pageCount)
  local f = setmetatable({ pageSize = 4096, pageCount = pageCount, bytes = {}, cutAt = -1, off = false, erases = 0 }, Flash)
  for i = 0, pageCount * 4096 - 1 do f.bytes[i] = 255 end
  return f
end
function Flash:read(addr, out, outOff, len)
  if self.off then error("power cut") end
  for i = 0, len - 1 do out[outOff + i] = self.bytes[addr + i] end
end
function Flash:torn()
  if self.cutAt < 0 then return false end
  if self.cutAt == 0 then self.cutAt = -1; self.off = true; return true end
  self.cutAt = self.cutAt - 1
  return false
end
function Flash:program(addr, data, off, len)
  if self.off then error("power cut") end
  for i = 0, len - 1 do
    if self.bytes[addr + i] ~= 255 then error("program over a programmed byte at " .. (addr + i)) end
  end
  local torn = self:torn()
  local n = len
  if torn then n = len // 2 end
  for i = 0, n - 1 do self.bytes[addr + i] = data[off + i] end
  if torn then error("power cut") end
end
function Flash:erase(page)
  if self.off then error("power cut") end
  local torn = self:torn()
  self.erases = self.erases + 1
  local n = 4096
  if torn then n = 2048 end
  for i = 0, n - 1 do self.bytes[page * 4096 + i] = 255 end
  if torn then error("power cut") end
end

local function new(class, ...)
  local o = setmetatable({}, class.prototype)
  o:____constructor(...)
  return o
end
local function value(seed, len)
  local v = new(Uint8Array, len)
  for i = 0, len - 1 do v[i] = (seed * 131 + i * 7) & 255 end
  return v
end
local out = new(Uint8Array, 1024)
local function summary(store, flash)
  for t = 1, 2 do
    local id = store:nextId(t, -1)
    while id >= 0 do
      local len = store:get(t, id, out, 0)
      print(t .. ":" .. id .. " " .. len .. " " .. crcModule.crc16(out, 0, len, 65535))
      id = store:nextId(t, id)
    end
  end
  print("image " .. crcModule.crc16(flash.bytes, 0, ${PAGES} * 4096, 65535) .. " check " .. tostring(checkModule.checkStore(store).ok))
end

local flash = newFlash(${PAGES})
local store = new(storeModule.Store, flash)
store:mount()
for round = 0, 15 do
  store:begin()
  for id = 0, 3 do store:put(1, id, value(round * 4 + id, 60 + id * 40), 0, 60 + id * 40) end
  if round % 3 == 2 then store:remove(1, 0) end
  assert(store:commit())
end
summary(store, flash)

flash.cutAt = 1
local ok = pcall(function()
  store:begin()
  for id = 10, 14 do store:put(2, id, value(id, 300), 0, 300) end
  store:commit()
end)
print("compacted " .. tostring(flash.erases > 0))
print("cut " .. tostring(not ok))
flash.off = false
store = new(storeModule.Store, flash)
store:mount()
summary(store, flash)

store:begin()
store:put(2, 10, value(1, 10), 0, 10)
assert(store:commit())
store = new(storeModule.Store, flash)
store:mount()
summary(store, flash)
`;

/** The same scenario on Node with MemoryFlash, printing the same lines. */
function runOnNode(): string[] {
  const lines: string[] = [];
  const value = (seed: number, len: number) => Uint8Array.from({ length: len }, (_, i) => (seed * 131 + i * 7) & 255);
  const out = new Uint8Array(1024);
  const summary = (store: Store, flash: MemoryFlash) => {
    for (let t = 1; t <= 2; t++) {
      for (let id = store.nextId(t, -1); id >= 0; id = store.nextId(t, id)) {
        const len = store.get(t, id, out, 0);
        lines.push(`${t}:${id} ${len} ${crc16(out, 0, len, CRC16_INIT)}`);
      }
    }
    lines.push(`image ${crc16(flash.snapshot(), 0, PAGES * 4096, CRC16_INIT)} check ${checkStore(store).ok}`);
  };
  const flash = new MemoryFlash(PAGES);
  let store = new Store(flash);
  store.mount();
  for (let round = 0; round <= 15; round++) {
    store.begin();
    for (let id = 0; id <= 3; id++) store.put(1, id, value(round * 4 + id, 60 + id * 40), 0, 60 + id * 40);
    if (round % 3 === 2) store.remove(1, 0);
    expect(store.commit()).toBe(true);
  }
  summary(store, flash);
  lines.push(`compacted ${flash.eraseCount > 0}`);
  flash.cutAfter(1);
  let cut = false;
  try {
    store.begin();
    for (let id = 10; id <= 14; id++) store.put(2, id, value(id, 300), 0, 300);
    store.commit();
  } catch (e) {
    cut = e instanceof PowerCutError;
  }
  lines.push(`cut ${cut}`);
  flash.reboot();
  store = new Store(flash);
  store.mount();
  summary(store, flash);
  store.begin();
  store.put(2, 10, value(1, 10), 0, 10);
  expect(store.commit()).toBe(true);
  store = new Store(flash);
  store.mount();
  summary(store, flash);
  return lines;
}

describe('store compiled to Lua 5.3', () => {
  const bundle = buildStoreBundle();
  const expected = runOnNode();

  it('the Node run compacts and recovers (so the comparison covers both)', () => {
    expect(expected).toContain('compacted true');
    expect(expected).toContain('cut true');
    expect(expected.filter((l) => l.endsWith('check true'))).toHaveLength(3);
  });

  it('fengari (32-bit integers, as NodeMCU) writes the same flash image as Node', () => {
    const outcome = runFengari(bundle, SNIPPET);
    expect(outcome.error).toBeUndefined();
    expect(outcome.output.trimEnd().split('\n')).toEqual(expected);
  });

  it.skipIf(requireDebian('store on lua5.3', ['lua5.3']))('lua5.3 (64-bit integers) writes the same image', () => {
    const outcome = runLua53(bundle, SNIPPET)!;
    expect(outcome.error).toBeUndefined();
    expect(outcome.output.trimEnd().split('\n')).toEqual(expected);
  });
});
