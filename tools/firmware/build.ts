/**
 * `npm run build:firmware`: builds dist/firmware/espruino.js (build-firmware.ts) and prints its
 * size and, when the boot check ran on the real interpreter (TAPCARD_ESPRUINO), the JsVars in use
 * after boot there. Exit 0 on success, 1 with every problem listed (tsc errors, syntax-gate
 * findings with position and construct, size over 128 KB, boot check findings).
 *
 * Usage: npx tsx tools/firmware/build.ts [--out FILE] [--no-minify]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildFirmware, DEFAULT_BUNDLE, MAX_BUNDLE_BYTES, REPO_ROOT } from './build-firmware';
import { ESPRUINO_BUILD_HINT, ESPRUINO_ENV } from '../../host/interpreter/espruino-binary';

const { values } = parseArgs({
  options: { out: { type: 'string' }, 'no-minify': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log('usage: tsx tools/firmware/build.ts [--out FILE] [--no-minify]   (default dist/firmware/espruino.js)');
  process.exit(0);
}
const result = await buildFirmware({
  outFile: values.out ? path.resolve(values.out) : DEFAULT_BUNDLE,
  minify: values['no-minify'] !== true,
});
const where = path.relative(REPO_ROOT, result.outFile);
if (!result.ok) {
  console.error(result.problems.join('\n'));
  console.error(`firmware build failed; ${where} not written`);
  process.exit(1);
}
const kb = (result.bytes / 1024).toFixed(1);
console.log(`${where}: ${result.bytes} bytes (${kb} KB of ${MAX_BUNDLE_BYTES / 1024} KB)`);
const parts = Object.entries(result.lazyParts);
if (parts.length > 0) console.log(`defined on use: ${parts.map(([name, names]) => `${name} (${names.length} names)`).join(', ')}`);
const vars = result.interpreterVars;
if (vars !== undefined) console.log(`boots on Espruino: ${vars.afterBoot} of ${vars.total} JsVars in use after boot`);
else console.log(`boot check on the real interpreter skipped: ${ESPRUINO_ENV} is not set (${ESPRUINO_BUILD_HINT})`);
