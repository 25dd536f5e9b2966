/**
 * KeptSession's load file (job-steps.ts): the download's opening keeps a copy of the load file it
 * had for the loading step, which takes it once instead of unsealing the key-store row again.
 */
import { describe, expect, it } from 'vitest';
import { KeptSession } from '../../platform-server/src/flows/job-steps';

describe('KeptSession load file', () => {
  it('hands a copy over once, to the job that kept it', () => {
    const kept = new KeptSession();
    const bytes = new Uint8Array([1, 2, 3]);
    kept.keepLoadFile('job-1', bytes);
    bytes.fill(9);
    expect(Array.from(kept.takeLoadFile('job-1') ?? [])).toEqual([1, 2, 3]);
    expect(kept.takeLoadFile('job-1')).toBeNull();
  });

  it('gives nothing to another job, and wipes its copy then, on close, and when another is kept', () => {
    const inside = (k: KeptSession): Uint8Array => (k as unknown as { loadFile: { bytes: Uint8Array } }).loadFile.bytes;
    const kept = new KeptSession();
    kept.keepLoadFile('job-1', new Uint8Array([1, 2, 3]));
    const a = inside(kept);
    expect(kept.takeLoadFile('job-2')).toBeNull();
    expect(Array.from(a)).toEqual([0, 0, 0]);
    expect(kept.takeLoadFile('job-1')).toBeNull();

    kept.keepLoadFile('job-1', new Uint8Array([4, 5]));
    const b = inside(kept);
    kept.keepLoadFile('job-1', new Uint8Array([6]));
    expect(Array.from(b)).toEqual([0, 0]);
    const c = inside(kept);
    kept.close();
    expect(Array.from(c)).toEqual([0]);
    expect(kept.takeLoadFile('job-1')).toBeNull();
  });
});
