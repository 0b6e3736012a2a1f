// A seeded PRNG whose whole state is one uint32 (mulberry32), so checkpoints can store it and a
// resumed run draws exactly the numbers an unbroken run would have drawn.

export class StepRng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  get state(): number {
    return this.a;
  }
  set state(s: number) {
    this.a = s >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
