/**
 * The SE on the real Espruino interpreter (TAPCARD_ESPRUINO), timed per APDU without the PN532
 * (bench/espruino/se-probe.ts). A transcript is recorded first on the host with the same SE core,
 * serial, keys and random sequence, then replayed on the interpreter: every response must equal
 * the host's, so a figure is never the time of a wrong answer.
 *
 * Two ways to hold the code, both on the vendored interpreter (16,383 JsVars):
 * - 'storage': the probe is .bootcde, as the board runs the firmware, and reads the DES round
 *   tables from their Storage file as the board does. The Linux build reads Storage through a file, 16 bytes per read (src/jsvariterator.h flashStringBuffer), so code run
 *   from there costs about ten times what it costs from RAM; an ESP32 maps its flash instead.
 * - 'ram': the probe's top-level statements are evaluated one by one from a file, as the Espruino
 *   IDE's upload to RAM does; the code then sits in JsVars, and so do the DES round tables (built
 *   at boot, not read from their Storage file as on the board). This is the interpreter's own
 *   cost, the figure loop units carry to a board whose flash reads cost about what RAM reads cost.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import { SoftAes } from '../firmware/src/core/crypto/aes';
import { SoftDes } from '../firmware/src/core/crypto/des';
import { TripleDes } from '../firmware/src/core/crypto/triple-des';
import { fromHex, toHex } from '../firmware/src/core/hex';
import { BUILT_IN_APPLET_CLASSES } from '../firmware/src/core/applets/built-in';
import { MAX_RESPONSE_LEN, SecureElement } from '../firmware/src/core/se/secure-element';
import { FLASH_PAGE_COUNT } from '../firmware/src/board/espruino/board-config';
import type { Random } from '../firmware/src/core/ports/random';
import { MemoryFlash } from '../host/flash/memory-flash';
import { GpSession } from '../host/gp/gp-session';
import { sameKeyForAll } from '../host/gp/keys';
import { parseLoadFile } from '../host/gp/load-file';
import { DEV_ISD_KEY } from '../host/se/virtual-se';
import { preloadLibrary, withPreload } from '../host/interpreter/preload-library';
import { buildFirmware, LAZY_PARTS, REPO_ROOT } from '../tools/firmware/build-firmware';
import { expectOk, TransitHost, transitPackage } from './_transit';

export const ESPRUINO_ENV = 'TAPCARD_ESPRUINO';
const PROBE_ENTRY = path.join(REPO_ROOT, 'bench/espruino/se-probe.ts');
const SERIAL = '0102030405060708090a';
const DATE_TIME = fromHex('20240315123000');
/** Iterations of the calibration loop per measurement; the bench keeps the fastest of several. */
const LOOPS = 5000;

/** E.hwRand on the interpreter and the host's Random follow this one sequence (espruinoRandom's byte order). */
const RAND_SEED = 12345;
const RAND_SOURCE = `var __s=${RAND_SEED};E.hwRand=function(){__s=(__s*1103+7)%1000003;return __s;};`;
function deterministicRandom(): Random {
  let s = RAND_SEED;
  return {
    fill(out, off, len) {
      let word = 0;
      for (let i = 0; i < len; i++) {
        if ((i & 3) === 0) word = s = (s * 1103 + 7) % 1000003;
        out[off + i] = (word >>> (8 * (i & 3))) & 0xff;
      }
    },
  };
}

/** The interpreter binary named by TAPCARD_ESPRUINO, or null when it is not there. */
export function espruinoBinary(): string | null {
  const bin = process.env[ESPRUINO_ENV];
  return bin !== undefined && bin !== '' && fs.existsSync(bin) ? bin : null;
}

export type Phase = 'open' | 'install' | 'credit' | 'tap';

export interface Step {
  phase: Phase;
  /** Command name from its INS; 'LOAD' etc. */
  name: string;
  command: string;
  response: string;
}

const INS: Record<number, string> = {
  0xa4: 'SELECT', 0x50: 'INITIALIZE', 0x82: 'EXTERNAL AUTHENTICATE', 0xe6: 'INSTALL', 0xe8: 'LOAD',
  0x52: 'CREDIT FOR LOAD', 0x54: 'DEBIT FOR PURCHASE',
};

/** SELECT ISD and SCP03 at SL 33, install a transit card block by block, credit it, then `taps` debits. */
export async function recordTranscript(taps: number, termsLength = 2500): Promise<Step[]> {
  const key = fromHex(DEV_ISD_KEY);
  const se = new SecureElement({
    flash: new MemoryFlash(FLASH_PAGE_COUNT),
    random: deterministicRandom(),
    aes: () => new SoftAes(),
    des: () => new SoftDes(),
    tripleDes: () => new TripleDes(() => new SoftDes(), false),
    serial: fromHex(SERIAL),
    appletClasses: BUILT_IN_APPLET_CLASSES,
    initialKeys: { kvn: 0x30, enc: key, mac: key, dek: key },
  });
  se.boot();
  const steps: Step[] = [];
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  let phase: Phase = 'open';
  const transmit = async (apdu: Uint8Array) => {
    const command = toHex(apdu); // before transceive(): the SE decrypts C-DEC data in place
    const r = out.slice(0, se.transceive(apdu, apdu.length, out));
    steps.push({ phase, name: INS[apdu[1]] ?? toHex(apdu, 1, 1), command, response: toHex(r) });
    return r;
  };
  const pkg = transitPackage(termsLength);
  const gp = new GpSession(transmit);
  await gp.selectIsd();
  await gp.openSecureChannel({ keys: sameKeyForAll(key), securityLevel: 0x33 });
  phase = 'install';
  await gp.install(parseLoadFile(pkg.file), {
    packageAid: pkg.spec.packageAid, moduleAid: pkg.spec.moduleAid, instanceAid: pkg.spec.instanceAid, privileges: pkg.spec.privileges,
  });
  gp.close();
  const host = new TransitHost(pkg.spec);
  phase = 'credit';
  expectOk('SELECT', await transmit(host.selectApdu));
  const init = expectOk('INITIALIZE FOR LOAD', await transmit(host.initLoad(100000)));
  expectOk('CREDIT FOR LOAD', await transmit(host.credit(init, 100000, DATE_TIME)));
  phase = 'tap';
  for (let t = 0; t < taps; t++) {
    expectOk('SELECT', await transmit(host.selectApdu));
    const p = expectOk('INITIALIZE FOR PURCHASE', await transmit(host.initPurchase(1)));
    expectOk('DEBIT FOR PURCHASE', await transmit(host.debit(p, 1, DATE_TIME)));
  }
  return steps;
}

/** The firmware's lazy parts that are the SE's (the probe holds no MCU, provisioning or console). */
const SE_LAZY_PARTS = ['isdSessionPart', 'desTablesPart', 'mountPart', 'crcPart', 'loyaltyInstallPart', 'loyaltyPart', 'plainPart', 'purseAppletPart'];

/** Builds the probe with the firmware's own build and the SE's lazy parts (no size limit: it is not the firmware). */
export async function buildProbe(outFile: string): Promise<void> {
  const lazyParts = LAZY_PARTS.filter((p) => SE_LAZY_PARTS.includes(p.name));
  const r = await buildFirmware({ entry: PROBE_ENTRY, outFile, buildLabel: 'probe', maxBytes: 1 << 20, lazyParts });
  if (!r.ok) throw new Error('probe build failed:\n' + r.problems.join('\n'));
}

export type CodePlace = 'ram' | 'storage';

export interface TimedStep extends Step {
  seconds: number;
  /** Of which in Storage calls. */
  flashSeconds: number;
  /** JsVars in use after the APDU. */
  jsVars: number;
}

export interface ProbeRun {
  place: CodePlace;
  steps: TimedStep[];
  /** Seconds per iteration of an empty for loop in the probe's code (fastest of several). */
  loopSeconds: number;
  /** JsVars in use once the SE has booted, before the first APDU. */
  bootJsVars: number;
  /** E.getSizeOf of the SE's parts after the last APDU. */
  sizes: { name: string; jsVars: number }[];
}

/** Replays the transcript once on the interpreter in `dir` (its espruino.flash is created afresh). */
export function replay(espruino: string, dir: string, probeFile: string, steps: Step[], place: CodePlace): ProbeRun {
  fs.rmSync(path.join(dir, 'espruino.flash'), { force: true });
  fs.writeFileSync(path.join(dir, 'transcript.txt'), steps.map((s) => s.command).join('\n'));
  const probe = fs.readFileSync(probeFile, 'latin1');
  let load = '';
  if (place === 'storage') {
    fs.writeFileSync(path.join(dir, 'store.js'), `require("Storage").write(".bootcde", require("fs").readFileSync(${JSON.stringify(probeFile)}));`);
    execFileSync(espruino, ['store.js'], { cwd: dir, input: '', stdio: ['pipe', 'ignore', 'inherit'] });
  } else {
    // Each top-level statement as "<length>:<text>" (statements may span lines), evaluated at
    // the top level so that eval declares the probe's names globally, as the board does.
    const statements = (parse(probe, { ecmaVersion: 2020 }).body as { start: number; end: number }[]).map((st) => probe.slice(st.start, st.end));
    fs.writeFileSync(path.join(dir, 'statements.txt'), statements.map((st) => `${st.length}:${st}`).join(''), 'latin1');
    load = 'var __f=E.openFile("statements.txt","r"),__b="",__c,__n=-1,__i;' +
      'while((__c=__f.read(2048))!==undefined){__b+=__c;for(;;){if(__n<0){__i=__b.indexOf(":");if(__i<0)break;__n=+__b.substr(0,__i);__b=__b.substr(__i+1);}' +
      'if(__b.length<__n)break;eval(__b.substr(0,__n));__b=__b.substr(__n);__n=-1;}}' +
      '__f.close();__f=__b=__c=__n=__i=undefined;';
  }
  // 'storage' reads the DES round tables from Storage as the board does; 'ram' builds them in RAM beside the code
  const driver = `${RAND_SOURCE}${load}seStart(${place === 'storage'});
print("BOOT "+process.memory().usage);
var __l=1e9;function __cal(){var t=loopSeconds(${LOOPS})/${LOOPS};if(t<__l)__l=t;}
var __t=require("fs").readFileSync("transcript.txt").split("\\n");
__cal();for(var __k=0;__k<__t.length;__k++){print("APDU "+seApdu(__t[__k]));if(__k%8==7)__cal();}
__cal();print("LOOP "+__l);seSizes();quit();`;
  fs.writeFileSync(path.join(dir, 'driver.js'), driver, 'latin1');
  const env = withPreload(process.env, preloadLibrary('cpu-clock.c'));
  const text = execFileSync(espruino, place === 'storage' ? ['-e', driver] : ['driver.js'], { cwd: dir, env, input: '', encoding: 'latin1', maxBuffer: 64 << 20 });
  const apdus: string[][] = [];
  const sizes: { name: string; jsVars: number }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('APDU ')) apdus.push(line.slice(5).trim().split(' '));
    const size = /^SIZE (\d+) (.*)$/.exec(line);
    if (size !== null) sizes.push({ name: size[2], jsVars: Number(size[1]) });
  }
  const loop = /LOOP (\S+)/.exec(text);
  const boot = /BOOT (\d+)/.exec(text);
  if (apdus.length !== steps.length || loop === null || boot === null) throw new Error(`interpreter run (${place}) incomplete:\n${text.slice(-1500)}`);
  const timed = steps.map((s, i) => {
    const [response, seconds, flash, vars] = apdus[i];
    if (response !== s.response) throw new Error(`step ${i} ${s.name}: the interpreter answered ${response}, the host ${s.response}`);
    return { ...s, seconds: Number(seconds), flashSeconds: Number(flash), jsVars: Number(vars) };
  });
  return { place, steps: timed, loopSeconds: Number(loop[1]), bootJsVars: Number(boot[1]), sizes };
}
