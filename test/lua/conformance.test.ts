/**
 * The Lua build of the portable core gives the same answers as the TypeScript on Node,
 * under fengari (32-bit integers, like NodeMCU) and under Debian's lua5.3 (64-bit integers).
 * Every file in test/lua/vectors is replayed (published answers are pinned in the files), and so
 * are the codecs' own VECTORS (codec-vectors.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireDebian } from '../helpers/skip';
import { codecVectorFiles } from './codec-vectors';
import { loadVectorFile, outputLines, runOnLua, runOnNode, VECTOR_DIR, type NodeRun, type VectorFile } from './conformance';
import type { Interpreter, LuaOutcome } from './harness';

const FILES: [string, VectorFile][] = [
  ...fs
    .readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f): [string, VectorFile] => [f, loadVectorFile(path.join(VECTOR_DIR, f))]),
  ...Object.entries(codecVectorFiles()),
];

// fengari always runs; the native runs skip (or fail under CI) without Debian's lua5.3.
const SKIP_LUA53 = requireDebian('Lua conformance under lua5.3', ['lua5.3']);

describe.each(FILES)('vectors %s', (_name, file) => {
  let node: NodeRun;
  let lua: Map<Interpreter, LuaOutcome>;

  beforeAll(async () => {
    node = await runOnNode(file);
    lua = new Map(runOnLua(file).map((o) => [o.interpreter, o]));
  }, 120_000);

  it('Node gives the published answers', () => {
    expect(node.mismatches).toEqual([]);
    expect(node.lines.length).toBeGreaterThan(0);
  });

  it('fengari (32-bit integers) prints the same lines as Node', () => {
    const run = lua.get('fengari')!;
    expect(run.error).toBeUndefined();
    expect(outputLines(run)).toEqual(node.lines);
  });

  it.skipIf(SKIP_LUA53)('lua5.3 (64-bit integers) prints the same lines as Node', () => {
    const run = lua.get('lua5.3')!;
    expect(run.error).toBeUndefined();
    expect(outputLines(run)).toEqual(node.lines);
  });
});
