/**
 * Bit helpers that mean the same in JavaScript (Espruino, Node) and in Lua 5.3 with 32-bit integers
 * (NodeMCU, fengari). See docs/portable-core.md: values stay below 2^31, right shifts go through shr().
 * The Lua build replaces this file with firmware/lua/bits.lua.
 */

/** Logical right shift of a non-negative value below 2^31. */
export function shr(x: number, n: number): number {
  return x >>> n;
}
