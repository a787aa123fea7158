/**
 * Requests-per-second limit. Slots are handed out evenly spaced (1000/rps ms apart) to whoever
 * asks first, which keeps a 100k-device run from bursting past what an operator allowed.
 */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private next = 0;

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

  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait);
  }
}
