import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLua } from '../../tools/lua/build';
import { requireDebian } from '../helpers/skip';
import { runFengari, runLua53 } from '../lua/harness';
import vectors from '../vectors/scp03-pysim.json';

/*
 * The crypto must give the same answers when compiled to Lua 5.3 with 32-bit integers (fengari,
 * like NodeMCU on ESP32) as on Node (docs/portable-core.md). Builds only bits.ts, bytes.ts and
 * crypto/ (so unrelated core modules cannot break this check) and replays published vectors.
 */
const CORE = path.resolve(__dirname, '../../firmware/src/core');

function buildCryptoBundle(): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapcard-crypto-lua-'));
  const core = path.join(tmp, 'core');
  fs.mkdirSync(path.join(core, 'crypto'), { recursive: true });
  for (const f of ['bits.ts', 'bytes.ts']) fs.copyFileSync(path.join(CORE, f), path.join(core, f));
  for (const f of fs.readdirSync(path.join(CORE, 'crypto'))) {
    fs.copyFileSync(path.join(CORE, 'crypto', f), path.join(core, 'crypto', f));
  }
  const result = buildLua({ coreDir: core, outDir: path.join(tmp, 'out') });
  if (result.problems.length > 0) throw new Error(`Lua build of the crypto failed:\n${result.problems.join('\n')}`);
  return result.bundlePath;
}

const AES256_33 = vectors.sets.find((s) => s.name === 'AES256_33')!;

// Each line: Lua expression printed, and the published value it must equal.
const SNIPPET = `
local function u8(text)
  local b = setmetatable({}, Uint8Array.prototype)
  b:____constructor(#text // 2)
  for i = 0, b.length - 1 do b[i] = tonumber(text:sub(2 * i + 1, 2 * i + 2), 16) end
  return b
end
local function hex(b, off, len)
  local parts = {}
  for i = off, off + len - 1 do parts[#parts + 1] = string.format("%02x", b[i]) end
  return table.concat(parts)
end
local function new(class, ...)
  local o = setmetatable({}, class.prototype)
  o:____constructor(...)
  return o
end
local aesm = require("core.crypto.aes")
local desm = require("core.crypto.des")
local cbc = require("core.crypto.cbc")
local cmacm = require("core.crypto.cmac")
local kdf = require("core.crypto.kdf")
local softPboc = require("core.crypto.soft-pboc")

local aes = new(aesm.SoftAes)
for _, v in ipairs({
  {"000102030405060708090a0b0c0d0e0f"},
  {"000102030405060708090a0b0c0d0e0f1011121314151617"},
  {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
}) do
  local k = u8(v[1]); aes:setKey(k, 0, k.length)
  local b = u8("00112233445566778899aabbccddeeff")
  aes:encryptBlock(b, 0, b, 0); local ct = hex(b, 0, 16)
  aes:decryptBlock(b, 0, b, 0)
  print("aes " .. ct .. " " .. hex(b, 0, 16))
end

local des = new(desm.SoftDes)
des:setKey(u8("0123456789abcdef"), 0, 8)
local b = u8("4e6f772069732074"); des:encryptBlock(b, 0, b, 0); print("des " .. hex(b, 0, 8))
local tdes = new(desm.SoftTripleDes)
tdes:setKey(u8("0123456789abcdef23456789abcdef01456789abcdef0123"), 0, 24)
b = u8("5468652071756663"); tdes:encryptBlock(b, 0, b, 0); print("tdes " .. hex(b, 0, 8))
local ok, err = pcall(function() tdes:setKey(u8("00"), 0, 1) end)
print("tdes-bad-key " .. tostring(ok) .. " " .. err.message)

aes:setKey(u8("2b7e151628aed2a6abf7158809cf4f3c"), 0, 16)
local m = u8("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
local out = u8("00000000000000000000000000000000")
cmacm.cmac(aes, m, 0, 64, out, 0); print("cmac64 " .. hex(out, 0, 16))
cmacm.cmac(aes, m, 0, 20, out, 0); print("cmac20 " .. hex(out, 0, 16))
local ct = u8(string.rep("00", 64))
cbc.cbcEncrypt(aes, u8("000102030405060708090a0b0c0d0e0f"), 0, m, 0, 64, ct, 0)
print("cbc " .. hex(ct, 0, 64))

local mac = new(cmacm.Cmac, aes)
local ctx = u8("${AES256_33.initUpdateCmd.slice(10, 26)}" .. "${AES256_33.initUpdateRsp.slice(26, 42)}")
local kmac = u8("${AES256_33.kMac}")
aes:setKey(kmac, 0, 32)
local smac = u8(string.rep("00", 32))
kdf.scp03Derive(mac, kdf.DERIVE_S_MAC, ctx, 0, 16, 256, smac, 0)
aes:setKey(smac, 0, 32)
kdf.scp03Derive(mac, kdf.DERIVE_CARD_CRYPTOGRAM, ctx, 0, 16, 64, out, 0)
print("card-cryptogram " .. hex(out, 0, 8))

local p = softPboc.softPbocCrypto()
local sk = u8("0000000000000000")
p:sessionKey(u8("11223344556677888877665544332211"), u8("1122334400008000"), sk)
local data = u8("0000000000001000" .. "01" .. "001122334455")
p:mac(sk, data, data.length, out, 0)
print("pboc " .. hex(sk, 0, 8) .. " " .. hex(out, 0, 4))
`;

const EXPECTED = [
  'aes 69c4e0d86a7b0430d8cdb78070b4c55a 00112233445566778899aabbccddeeff', // FIPS-197 C.1
  'aes dda97ca4864cdfe06eaf70a0ec0d7191 00112233445566778899aabbccddeeff', // C.2
  'aes 8ea2b7ca516745bfeafc49904b496089 00112233445566778899aabbccddeeff', // C.3
  'des 3fa40e8a984d4815', // FIPS 81 Appendix B
  'tdes a826fd8ce53b855f', // SP 800-67 Rev.1 Appendix B
  'tdes-bad-key false 3DES key: expected 16 or 24 bytes, got 1',
  'cmac64 51f0bebf7e3b9d92fc49741779363cfe', // RFC 4493 Example 4
  'cmac20 7d85449ea6ea19c823a7bf78837dfade', // SP 800-38B D.1 Example 3
  // SP 800-38A F.2.1
  'cbc 7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
  `card-cryptogram ${AES256_33.initUpdateRsp.slice(42, 58)}`, // pySim SCP03_Test_AES256_33
  'pboc 9b1d924e05595603 2988ae5a', // docs/standards.md "PBOC vectors" load: SESLK, MAC1
];

describe('crypto compiled to Lua 5.3 (typescript-to-lua)', () => {
  const bundle = buildCryptoBundle();

  it('fengari (32-bit integers, as NodeMCU) reproduces the published vectors', () => {
    const outcome = runFengari(bundle, SNIPPET);
    expect(outcome.error).toBeUndefined();
    expect(outcome.output.trimEnd().split('\n')).toEqual(EXPECTED);
  });

  it.skipIf(requireDebian('crypto on lua5.3', ['lua5.3']))('lua5.3 (64-bit integers) gives the same answers', () => {
    const outcome = runLua53(bundle, SNIPPET)!;
    expect(outcome.error).toBeUndefined();
    expect(outcome.output.trimEnd().split('\n')).toEqual(EXPECTED);
  });
});
