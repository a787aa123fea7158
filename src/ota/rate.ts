/**
 * Requests-per-second limit. Slots are handed out evenly spaced (1000/rps ms apart) to whoever
 * asks first, which keeps a 100k-device run from bursting past what an operator allowed.
 */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private next = 0;
  /** When the last `rps` slots were actually taken, oldest first. */
  private readonly taken: number[] = [];

  constructor(
    private readonly rps: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {}

  /** Milliseconds the caller must wait for its slot (0 when unlimited); reserves the slot. */
  reserve(): number {
    if (!(this.rps > 0)) return 0;
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + 1000 / this.rps;
    return slot - t;
  }

  /**
   * Waits for the caller's slot. A timer that fires late (a busy event loop) would let the waiting
   * callers go together: a slot is also held back until the one `rps` slots before it is a second
   * old, so no second of actual requests holds more than the budget.
   */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait);
    if (!(this.rps > 0)) return;
    const window = Math.max(1, Math.floor(this.rps));
    for (;;) {
      const due = this.taken.length < window ? 0 : this.taken[0] + 1000 - this.now();
      if (due <= 0) break;
      await this.sleep(due);
    }
    this.taken.push(this.now());
    if (this.taken.length > window) this.taken.shift();
  }
}
