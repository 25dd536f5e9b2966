-- Lua 5.3 implementation of firmware/src/core/bits.ts, which the Lua build leaves out
-- (docs/portable-core.md "Numbers"; docs/portable-core.md "The Lua build"). TSTL would turn `x >>> n` into a mask
-- with the constant 2^32-1 followed by `>>`, and that constant is a float on 32-bit-integer Lua
-- (NodeMCU, fengari), so the shift fails there. Values in the core stay in 0..2^31-1, where a native `>>` is the
-- same logical shift on 32-bit and 64-bit integer builds.
local bits = {}

--- Logical right shift of a value in 0..2^31-1 by 0..31 bits.
function bits.shr(x, n)
    if x < 0 then
        -- JavaScript's >>> would reinterpret a negative value as 32-bit unsigned; 64-bit Lua
        -- would shift in 64 bits. The portable core never does this; say so instead of diverging.
        error("shr: negative value " .. tostring(x) .. " (portable core values are 0..2^31-1)", 2)
    end
    return x >> n
end

return bits
