import { assignWaves, rolloutOrder, waveNumbers, type Member } from '../../src/rollout/index.js';

const fleet = (n: number): Member[] =>
  Array.from({ length: n }, (_, i) => ({ host: `dev-${i}`, device: `id-${i}`, groups: [i % 7 === 0 ? 'pi2' : 'pi4'] }));

const policy = (waves: string[], first: string[] = []) => ({
  waves: waves.map((w) => (w.endsWith('%') ? { share: Number(w.slice(0, -1)) } : { count: Number(w) })),
  first,
});

describe('wave membership', () => {
  it('cuts cumulative shares of 1,000 devices into 10, 90, 400 and 500', () => {
    const waves = assignWaves(fleet(1000), policy(['1%', '10%', '50%', '100%']));
    expect(waves.map((w) => w.length)).toEqual([10, 90, 400, 500]);
    expect(new Set(waves.flat()).size).toBe(1000);
  });

  it('is stable: input order does not matter, and a new device moves no other device between waves', () => {
    const devices = fleet(200);
    const a = waveNumbers(assignWaves(devices, policy(['5%', '100%'])));
    const b = waveNumbers(assignWaves([...devices].reverse(), policy(['5%', '100%'])));
    expect(b).toEqual(a);
    // The order is a hash of the id, not the id's own order.
    expect(rolloutOrder(devices, []).slice(0, 10)).not.toEqual(devices.slice(0, 10).map((d) => d.device));
    const grown = rolloutOrder([...devices, { host: 'new', device: 'id-new' }], []);
    expect(grown.filter((d) => d !== 'id-new')).toEqual(rolloutOrder(devices, []));
  });

  it('puts first devices (host, id or group) into wave 1, growing it when needed', () => {
    const devices = fleet(100);
    const waves = assignWaves(devices, policy(['2', '100%'], ['pi2', 'dev-5', 'id-6']));
    const firsts = devices.filter((d) => d.groups![0] === 'pi2' || d.host === 'dev-5' || d.device === 'id-6');
    expect(firsts).toHaveLength(17);
    expect([...waves[0]].sort()).toEqual(firsts.map((d) => d.device).sort());
    expect(waves[1]).toHaveLength(83);
  });

  it('rounds a share up, and an empty or tiny stage still has every device in some wave', () => {
    expect(assignWaves(fleet(3), policy(['1%', '100%'])).map((w) => w.length)).toEqual([1, 2]);
    expect(assignWaves(fleet(0), policy(['1%', '100%']))).toEqual([[], []]);
    expect(assignWaves(fleet(5), policy(['10', '100%'])).map((w) => w.length)).toEqual([5, 0]);
  });
});
