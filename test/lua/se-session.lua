-- The scripted SE session, Lua side (se-session.ts records it on Node). Runs after the
-- core bundle and SNIPPET_HELPERS (new, u8, hex), with PHASES (a list of phases, each a list of
-- command hex strings) defined before it. Each phase boots a fresh SecureElement on the flash the
-- previous phase left, sends its commands and prints each response as hex; at the end every flash
-- page is printed ("page N blank" or "page N <hex>"), the lines se-session.ts prints for Node.

local PAGE_SIZE = 4096
local PAGE_COUNT = 16
local SERIAL = "00112233445566778899"
local ISD_KEY = "404142434445464748494a4b4c4d4e4f"
local ISD_KVN = 0x30

local seModule = require("core.se.secure-element")
local aesModule = require("core.crypto.aes")
local desModule = require("core.crypto.des")
local builtIn = require("core.applets.built-in")

-- NOR flash in a table, with the rules of core/ports/flash.ts: program only erased (0xFF) bytes.
local Flash = {}
Flash.__index = Flash
local function newFlash()
  local f = setmetatable({ pageSize = PAGE_SIZE, pageCount = PAGE_COUNT, bytes = {} }, Flash)
  for i = 0, PAGE_COUNT * PAGE_SIZE - 1 do f.bytes[i] = 0xff end
  return f
end
local function checkRange(addr, len)
  if addr < 0 or len < 0 or addr + len > PAGE_COUNT * PAGE_SIZE then
    error("flash range " .. addr .. "+" .. len .. " outside the device")
  end
end
function Flash:read(addr, out, outOff, len)
  checkRange(addr, len)
  for i = 0, len - 1 do out[outOff + i] = self.bytes[addr + i] end
end
function Flash:program(addr, data, off, len)
  checkRange(addr, len)
  for i = 0, len - 1 do
    if self.bytes[addr + i] ~= 0xff then error("program over a programmed byte at " .. (addr + i)) end
    self.bytes[addr + i] = data[off + i]
  end
end
function Flash:erase(page)
  if page < 0 or page >= PAGE_COUNT then error("erase: page " .. page .. " outside the device") end
  for i = page * PAGE_SIZE, (page + 1) * PAGE_SIZE - 1 do self.bytes[i] = 0xff end
end

-- Byte k of the stream is (k * 73 + 41) & 0xff, as CountingRandom in se-session.ts.
local function newRandom()
  local random = { k = 0 }
  function random:fill(out, off, len)
    for i = 0, len - 1 do
      out[off + i] = (self.k * 73 + 41) & 0xff
      self.k = self.k + 1
    end
  end
  return random
end

local function bootSe(flash)
  local key = u8(ISD_KEY)
  local se = new(seModule.SecureElement, {
    flash = flash,
    random = newRandom(),
    aes = function() return new(aesModule.SoftAes) end,
    des = function() return new(desModule.SoftDes) end,
    tripleDes = function() return new(desModule.SoftTripleDes) end,
    serial = u8(SERIAL),
    appletClasses = builtIn.BUILT_IN_APPLET_CLASSES,
    initialKeys = { kvn = ISD_KVN, enc = key, mac = key, dek = key },
  })
  se:boot()
  return se
end

local flash = newFlash()
local out = new(Uint8Array, seModule.MAX_RESPONSE_LEN)
for _, commands in ipairs(PHASES) do
  local se = bootSe(flash)
  for _, command in ipairs(commands) do
    local apdu = u8(command)
    local n = se:transceive(apdu, apdu.length, out)
    print(hex(out, 0, n))
  end
end

for p = 0, PAGE_COUNT - 1 do
  local base = p * PAGE_SIZE
  local blank = true
  for i = base, base + PAGE_SIZE - 1 do
    if flash.bytes[i] ~= 0xff then blank = false break end
  end
  if blank then
    print("page " .. p .. " blank")
  else
    local parts = {}
    for i = base, base + PAGE_SIZE - 1 do parts[#parts + 1] = string.format("%02x", flash.bytes[i]) end
    print("page " .. p .. " " .. table.concat(parts))
  end
end
