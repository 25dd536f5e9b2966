-- Fixed-size byte array standing in for JavaScript's Uint8Array in the typescript-to-lua build of
-- firmware/src/core (docs/portable-core.md "The Lua build"; docs/portable-core.md "Buffers").
--
-- TSTL has no typed arrays. It compiles `new Uint8Array(n)` to `__TS__New(Uint8Array, n)`,
-- `b[i]` to a raw 0-based index, `b.length` to a field read and `b.subarray(s, e)` to a method
-- call, so this class has TSTL's class shape (prototype, ____constructor, constructor) and
-- serves indexing through metamethods. Supported: new Uint8Array(length), new Uint8Array([bytes])
-- from an array literal, b[i] reads and writes, b.length, #b, b:subarray(begin, end) (a view
-- sharing storage), b:set(source, offset), b:fill(value, begin, end), tostring(b). Nothing else.
--
-- An instance keeps three raw fields and never a numeric key, so every b[i] reaches __index or
-- __newindex: length, ____bytes (1-based storage table, shared by views) and ____offset.

local floor, ceil, mtype, huge = math.floor, math.ceil, math.type, math.huge

local Uint8Array = { name = "Uint8Array", prototype = {} }
local prototype = Uint8Array.prototype
prototype.constructor = Uint8Array

-- ECMAScript ToIntegerOrInfinity: truncate toward zero; NaN is 0.
local function toInteger(v)
    if v ~= v then return 0 end
    if v >= 0 then return floor(v) end
    return ceil(v)
end

-- ECMAScript ToUint8 (the conversion a Uint8Array store applies): integer modulo 2^8;
-- NaN and infinities store 0.
local function toUint8(v)
    if mtype(v) == "integer" then return v & 0xff end
    if v ~= v or v == huge or v == -huge then return 0 end
    return floor(toInteger(v) % 256)
end

-- The storage slot of an integer index, or nil when JavaScript would read undefined or ignore
-- the write (out of range or not an integer).
local function slot(self, key)
    if key ~= floor(key) or key < 0 or key >= rawget(self, "length") then return nil end
    return rawget(self, "____offset") + key + 1
end

local function view(bytes, offset, length)
    return setmetatable({ length = length, ____bytes = bytes, ____offset = offset }, prototype)
end

function prototype.__index(self, key)
    if type(key) == "number" then
        local i = slot(self, key)
        if i == nil then return nil end
        return rawget(self, "____bytes")[i]
    end
    return prototype[key]
end

function prototype.__newindex(self, key, value)
    if type(key) ~= "number" then
        rawset(self, key, value)
        return
    end
    if type(value) ~= "number" then
        error("Uint8Array: cannot store a " .. type(value) .. " (the portable core stores numbers only)", 2)
    end
    local i = slot(self, key)
    if i ~= nil then rawget(self, "____bytes")[i] = toUint8(value) end
end

function prototype.__len(self)
    return rawget(self, "length")
end

-- Same text as JavaScript's String(uint8array): the bytes in decimal, comma separated.
function prototype.__tostring(self)
    local parts = {}
    local bytes, offset = rawget(self, "____bytes"), rawget(self, "____offset")
    for i = 1, rawget(self, "length") do parts[i] = tostring(bytes[offset + i]) end
    return table.concat(parts, ",")
end

-- new Uint8Array(length), or new Uint8Array([b0, b1, ...]) from an array literal (a Lua sequence
-- in TSTL output), each element converted as a store would.
function prototype.____constructor(self, source)
    local bytes, n = {}, nil
    if type(source) == "number" then
        n = toInteger(source)
        if n < 0 or n == huge then
            error("RangeError: Invalid typed array length: " .. tostring(source), 3)
        end
        n = floor(n)
        for i = 1, n do bytes[i] = 0 end
    elseif type(source) == "table" and getmetatable(source) == nil then
        n = #source
        for i = 1, n do
            local v = source[i]
            if type(v) ~= "number" then
                error("Uint8Array: element " .. (i - 1) .. " is a " .. type(v) .. ", not a number", 3)
            end
            bytes[i] = toUint8(v)
        end
    else
        error("Uint8Array: only new Uint8Array(length) and new Uint8Array([bytes]) are supported (docs/portable-core.md)", 3)
    end
    rawset(self, "length", n)
    rawset(self, "____bytes", bytes)
    rawset(self, "____offset", 0)
end

-- A begin/end argument of subarray and fill: negative positions count from the end, both are
-- clamped to 0..length, undefined means `default`.
local function position(v, length, default)
    if v == nil then return default end
    local p = toInteger(v)
    if p < 0 then return math.max(length + p, 0) end
    return math.min(p, length)
end

-- %TypedArray%.prototype.subarray: negative positions count from the end, both are clamped to
-- 0..length, and an undefined end means length. The result shares storage with self.
function prototype.subarray(self, first, last)
    local length = rawget(self, "length")
    local from = position(first, length, 0)
    local to = position(last, length, length)
    return view(rawget(self, "____bytes"), rawget(self, "____offset") + from, math.max(to - from, 0))
end

-- %TypedArray%.prototype.set with a Uint8Array source: source's bytes to self from offset (0 when
-- undefined); a RangeError when they do not fit. Overlapping views of one storage copy like
-- memmove, as the specification's clone of the source does.
function prototype.set(self, source, offset)
    local at = offset == nil and 0 or toInteger(offset)
    local n = rawget(source, "length")
    if at < 0 or at + n > rawget(self, "length") then
        error("RangeError: offset is out of bounds", 2)
    end
    local dst, dOff = rawget(self, "____bytes"), rawget(self, "____offset") + at
    local src, sOff = rawget(source, "____bytes"), rawget(source, "____offset")
    if dst == src and sOff < dOff then
        for i = n, 1, -1 do dst[dOff + i] = src[sOff + i] end
    else
        for i = 1, n do dst[dOff + i] = src[sOff + i] end
    end
end

-- %TypedArray%.prototype.fill: value (converted as a store) over begin..end, positions as in
-- subarray. Returns self.
function prototype.fill(self, value, first, last)
    local length = rawget(self, "length")
    local bytes, offset, byte = rawget(self, "____bytes"), rawget(self, "____offset"), toUint8(value)
    for i = position(first, length, 0) + 1, position(last, length, length) do bytes[offset + i] = byte end
    return self
end

return Uint8Array
