-- Lua side of the "same vectors, same answers" check (test/lua/conformance.ts). Prepended to the
-- generated case script; prints one line per step in the text form encode() in conformance.ts
-- prints on Node. Keep the two encoders in step.
local conformance = {}

local U8 = Uint8Array.prototype
local DIGITS = "0123456789abcdef"

-- Printable ASCII except '"' and backslash stays; every other byte becomes \xhh.
local function escape(s)
    return (s:gsub(".", function(c)
        local b = c:byte()
        if b < 32 or b > 126 or b == 34 or b == 92 then return string.format("\\x%02x", b) end
    end))
end

local function hex(b)
    local parts = {}
    for i = 0, b.length - 1 do
        local v = b[i]
        parts[#parts + 1] = DIGITS:sub((v >> 4) + 1, (v >> 4) + 1) .. DIGITS:sub((v & 15) + 1, (v & 15) + 1)
    end
    return table.concat(parts)
end

-- C's %.17g, which conformance.ts reproduces for non-integral numbers.
local function number(v)
    if math.type(v) == "integer" then return string.format("%d", v) end
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%.0f", v) end
    return string.format("%.17g", v)
end

local function encode(v, depth)
    local t = type(v)
    if v == nil then return "nil" end
    if t == "boolean" then return tostring(v) end
    if t == "number" then return number(v) end
    if t == "string" then return '"' .. escape(v) .. '"' end
    if t == "function" then return "function" end
    if t ~= "table" then return t end
    if getmetatable(v) == U8 then return "u8:" .. hex(v) end
    if depth > 8 then return "..." end
    local keys, count = {}, 0
    for k in pairs(v) do
        count = count + 1
        keys[count] = k
    end
    if count == 0 then return "{}" end
    local n = #v
    if n == count then
        local items = {}
        for i = 1, n do items[i] = encode(v[i], depth + 1) end
        return "[" .. table.concat(items, ",") .. "]"
    end
    local names = {}
    for i = 1, count do names[i] = tostring(keys[i]) end
    local byName = {}
    for i = 1, count do byName[names[i]] = v[keys[i]] end
    table.sort(names)
    local items = {}
    for i = 1, count do items[i] = names[i] .. "=" .. encode(byName[names[i]], depth + 1) end
    return "{" .. table.concat(items, ",") .. "}"
end

local function failure(err)
    if type(err) == "table" and type(err.message) == "string" then return "! " .. encode(err.message, 0) end
    return "! lua:" .. encode(tostring(err), 0)
end

function conformance.u8(text)
    local out = setmetatable({}, U8)
    out:____constructor(#text // 2)
    for i = 0, out.length - 1 do out[i] = tonumber(text:sub(2 * i + 1, 2 * i + 2), 16) end
    return out
end

local function report(label, ok, result, args, n)
    if not ok then
        print(label .. " " .. failure(result))
        return nil
    end
    local items = {}
    for i = 1, n do items[i] = encode(args[i], 0) end
    print(label .. " " .. encode(result, 0) .. " | " .. table.concat(items, " "))
    return result
end

-- A module function call; prints "label ret | arg1 arg2 ..." (the arguments after the call, so
-- output buffers show what was written) or "label ! message". Returns the result.
function conformance.call(label, fn, args, n)
    local ok, result = pcall(fn, table.unpack(args, 1, n))
    return report(label, ok, result, args, n)
end

-- The same for self:name(args), as TSTL compiles a method call.
function conformance.method(label, self, name, args, n)
    local ok, result = pcall(function() return self[name](self, table.unpack(args, 1, n)) end)
    return report(label, ok, result, args, n)
end

-- new Class(args) the way TSTL's __TS__New does it; prints "label <instance state>".
function conformance.new(label, class, args, n)
    local ok, result = pcall(function()
        local instance = setmetatable({}, class.prototype)
        instance:____constructor(table.unpack(args, 1, n))
        return instance
    end)
    if not ok then
        print(label .. " " .. failure(result))
        return nil
    end
    print(label .. " " .. encode(result, 0))
    return result
end

function conformance.get(label, value)
    print(label .. " " .. encode(value, 0))
    return value
end

return conformance
