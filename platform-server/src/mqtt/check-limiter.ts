/**
 * Bounds the password checks a broker runs at once. Each check is a scrypt on the thread pool
 * (pki/secrets.ts); a flood of CONNECTs with made-up passwords would otherwise queue without limit
 * and keep the pool busy for the devices that hold real ones. At most `concurrent` checks run; up to
 * `queued` more wait their turn; beyond that a CONNECT is refused at once as "server unavailable"
 * (MQTT 3.1.1 §3.2.2.3 return code 3), which a real device answers by retrying later.
 */
export class CheckLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrent: number,
    private readonly queued: number,
  ) {}

  /** Runs `task` when a slot frees up, or returns null at once when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.running >= this.concurrent && this.waiting.length >= this.queued) return null;
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        task().then(resolve, reject).finally(() => {
          this.running--;
          const next = this.waiting.shift();
          if (next !== undefined) next();
        });
      };
      if (this.running < this.concurrent) start();
      else this.waiting.push(start);
    });
  }
}
