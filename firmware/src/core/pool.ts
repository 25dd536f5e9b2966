/**
 * One preallocated pool for the firmware's fixed buffers. Everything is carved out at boot with
 * take(); after seal() further takes throw, so nothing on the APDU path can allocate by accident.
 */
export class BufferPool {
  private readonly memory: Uint8Array;
  private used = 0;
  private sealed = false;

  constructor(size: number) {
    this.memory = new Uint8Array(size);
  }

  /** A zeroed, exclusively owned view of n bytes. */
  take(n: number): Uint8Array {
    if (this.sealed) throw new Error('BufferPool: take() after seal(): buffers are allocated at boot only');
    if (n < 0 || this.used + n > this.memory.length) {
      throw new Error('BufferPool: out of memory: wanted ' + n + ', free ' + (this.memory.length - this.used));
    }
    const view = this.memory.subarray(this.used, this.used + n);
    this.used = this.used + n;
    return view;
  }

  seal(): void {
    this.sealed = true;
  }
}
