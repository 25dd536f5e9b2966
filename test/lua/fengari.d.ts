/** The part of fengari 0.1.5's C-style API (Lua 5.3 reference manual §4-5) that test/lua uses. */
declare module 'fengari' {
  /** An opaque lua_State. */
  export interface LuaState {
    readonly __luaState: never;
  }
  /** Lua strings are byte arrays in fengari. */
  export type LuaString = Uint8Array;

  export const lua: {
    readonly LUA_OK: number;
    lua_pushjsfunction(L: LuaState, fn: (L: LuaState) => number): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_gettop(L: LuaState): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_tojsstring(L: LuaState, index: number): string | null;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buffer: Uint8Array, size: number | null, chunkName: LuaString): number;
    /** Converts any value to a string (honouring __tostring) and pushes it. */
    luaL_tolstring(L: LuaState, index: number): LuaString;
  };
  export const lualib: {
    luaL_openlibs(L: LuaState): void;
  };
  export function to_luastring(s: string): LuaString;

  const fengari: {
    lua: typeof lua;
    lauxlib: typeof lauxlib;
    lualib: typeof lualib;
    to_luastring: typeof to_luastring;
  };
  export default fengari;
}
