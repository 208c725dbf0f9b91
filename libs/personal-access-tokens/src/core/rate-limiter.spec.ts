import { MemoryRateLimitStore } from './rate-limiter';

describe('MemoryRateLimitStore', () => {
  it('stays bounded under a flood of distinct keys, limiting the newcomers together and resetting nobody', async () => {
    const store = new MemoryRateLimitStore();
    const window = 1_000_000;
    for (let i = 0; i < 100_000; i++) await store.increment(`ip:${i}`, window, 60, 1);
    await store.increment('ip:0', window, 60, 4);
    // Every counter is live: new keys share one counter instead of growing the map.
    const counts: number[] = [];
    for (let i = 0; i < 50; i++) counts.push(await store.increment(`new:${i}`, window, 60, 1));
    expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await store.peek('new:unseen', window)).toBe(50);
    expect(store.size()).toBe(100_001);
    // An existing client's count was not evicted to make room.
    expect(await store.peek('ip:0', window)).toBe(5);
    // A new window: the past ones are evicted, and a new key gets a counter of its own.
    expect(await store.increment('new:0', window + 60_000, 60, 1)).toBe(1);
    expect(store.size()).toBe(1);
  });
});
