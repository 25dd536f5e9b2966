/**
 * Where the firmware's JsVars go, measured inside the interpreter with E.getSizeOf. main()'s
 * locals are reachable from the console function status(): its scope (`status["\xFFsco"]`) holds
 * them under their minified names, in declaration order; `localNames` (from main.ts) names them.
 *
 * E.getSizeOf(x) counts everything reachable from x, so parts that share an object (the SE is
 * reachable from the MCU link) would be counted twice. The walk visits each object once, skips
 * prototypes, counts a function's code (a flash string) as its link only, and a typed array's
 * buffer once (a bare ArrayBuffer by E.getSizeOf: Object.keys would list its bytes). Visited objects are bits in a bitmap indexed by JsVar number: E.getAddressOf less
 * that of `global` (the first JsVar) over the block size (a list searched with indexOf would make
 * the walk quadratic in thousands of objects, and Espruino's indexOf compares typed arrays by
 * content). An address outside the JsVar array counts 1 and is not followed. What it does not reach from main()
 * (function and class definitions, the MQTT module, timers) is the rest of process.memory().usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MemoryPart {
  name: string;
  jsVars: number;
}

export interface MemoryWalk {
  /** process.memory().usage (garbage collected first) before the walk. */
  usage: number;
  /** Each of main()'s locals, first come first counted. */
  parts: MemoryPart[];
  /** The largest objects inside the parts (path from the part, JsVars), largest first. */
  largest: MemoryPart[];
}

const MAIN_SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../firmware/src/board/espruino/main.ts');

/** main()'s locals in declaration order (`const x` / `let x` at the first level of its body). */
export function mainLocalNames(source = fs.readFileSync(MAIN_SOURCE, 'utf8')): string[] {
  const start = source.indexOf('export function main(');
  if (start < 0) return [];
  const names: string[] = [];
  for (const m of source.slice(start).matchAll(/^ {2}(?:const|let) (\w+)/gm)) names.push(m[1]);
  return names;
}

/**
 * The walk as one console expression; its value is a MemoryWalk. `minPart` sets which inner
 * objects are listed among `largest` (at least that many JsVars, up to 3 levels below a part).
 */
export function memoryWalkExpression(localNames: string[], minPart = 40): string {
  return `(function(names,minPart){
var mem=process.memory(),usage=mem.usage,total=mem.total,block=mem.blocksize,first=E.getAddressOf(global);
var seen=new Uint8Array((total>>3)+1),largest=[];
function visit(x){
  var d=E.getAddressOf(x)-first;if(d<0)d+=4294967296;
  var i=d/block;if(i!==Math.floor(i)||i>=total)return false;
  var m=1<<(i&7);if(seen[i>>3]&m)return false;seen[i>>3]|=m;return true;
}
function walk(v,p,depth){
  if(v===null||v===undefined)return 0;
  var t=typeof v;
  if(t==="string")return E.getSizeOf(v);
  if(t!=="object"&&t!=="function")return 0;
  if(t==="object"&&v.buffer&&typeof v.byteLength==="number")return visit(v.buffer)?E.getSizeOf(v):1;
  if(v instanceof ArrayBuffer)return visit(v)?E.getSizeOf(v):0;
  if(!visit(v))return 0;
  var n=1;
  if(t==="function"){
    E.getSizeOf(v,1).forEach(function(e){
      if(e.name==="\\xFFcod"||e.size<=1){n+=e.size;return;}
      n+=1+walk(v[e.name],depth>0?p+"."+e.name.replace("\\xFF",""):p,depth-1);
    });
  }else{
    Object.keys(v).forEach(function(k){n+=1+walk(v[k],depth>0?p+"."+k:p,depth-1);});
  }
  if(depth>=0&&depth<3&&n>=minPart)largest.push({name:p,jsVars:n});
  return n;
}
var scope=status["\\xFFsco"],keys=Object.keys(scope),parts=[];
keys.forEach(function(k,i){var name=names[i]||k;parts.push({name:name,jsVars:walk(scope[k],name,3)});});
largest.sort(function(x,y){return y.jsVars-x.jsVars;});
return {usage:usage,parts:parts,largest:largest.slice(0,24)};
})(${JSON.stringify(localNames)},${minPart})`;
}
