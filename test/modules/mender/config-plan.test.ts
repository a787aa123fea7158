import {
  applyIgnore,
  normaliseDesired,
  planConfig,
  type ConfigState,
} from '../../../src/modules/mender/config-plan.js';

const n = (x: unknown) => {
  const r = normaliseDesired(x);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('normalising the desired configuration', () => {
  test('scalars become strings, nested values canonical JSON, keys sorted', () => {
    expect(n({ b: true, a: 1, c: null, d: { y: 1, x: [2, { q: 1, p: 0 }] }, e: 'text' })).toEqual({
      a: '1',
      b: 'true',
      c: '',
      d: '{"x":[2,{"p":0,"q":1}],"y":1}',
      e: 'text',
    });
    expect(Object.keys(n({ z: 1, a: 2 }))).toEqual(['a', 'z']);
  });

  test('a JSON document inside a string is canonicalised too', () => {
    expect(n({ j: '{"b":1,"a":2}' })).toEqual({ j: '{"a":2,"b":1}' });
  });

  test.each([[['a']], ['text'], [null], [3]])('%j is not a mapping', (x) => {
    const r = normaliseDesired(x);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('mender_config.not-a-mapping');
  });
});

describe('ignore list', () => {
  test.each([
    [['uptime'], { a: '1', uptime: '5' }, { a: '1' }],
    [['/uptime'], { a: '1', uptime: '5' }, { a: '1' }],
    [['/mon/last_seen'], { mon: '{"last_seen":"x","url":"u"}' }, { mon: '{"url":"u"}' }],
    [['/mon/list/0'], { mon: '{"list":[1,2]}' }, { mon: '{"list":[2]}' }],
    [['/a~1b'], { 'a/b': '1', c: '2' }, { c: '2' }],
    [['/plain/x'], { plain: 'not json' }, { plain: 'not json' }],
    [['missing', '/gone/x'], { a: '1' }, { a: '1' }],
  ])('%j', (ignore, m, expected) => expect(applyIgnore(m, ignore)).toEqual(expected));
});

describe('config decision', () => {
  const desired = n({ kiosk_enabled: true, kiosk_url: 'https://k', INFLUX_TOKEN: 'tok-secret' });
  const st = (over: Partial<ConfigState>): ConfigState => ({ configured: {}, reported: {}, deploying: false, ...over });
  const same = { INFLUX_TOKEN: 'tok-secret', kiosk_url: 'https://k', kiosk_enabled: 'true' };

  test.each([
    ['in sync (key order differs)', st({ configured: same, reported: same }), [], 'none', undefined],
    [
      'volatile field ignored',
      st({ configured: same, reported: { ...same, uptime: '99' } }),
      ['uptime'],
      'none',
      undefined,
    ],
    [
      'volatile field not ignored is drift',
      st({ configured: same, reported: { ...same, uptime: '99' } }),
      [],
      'deploy',
      false,
    ],
    ['set and being deployed', st({ configured: same, reported: {}, deploying: true }), [], 'wait', undefined],
    [
      'set, not applied, nothing in flight: redeploy only',
      st({ configured: same, reported: { kiosk_enabled: 'false' } }),
      [],
      'deploy',
      false,
    ],
    ['new device without configuration', st({}), [], 'deploy', true],
    [
      'configured differs',
      st({ configured: { ...same, kiosk_url: 'https://old' }, reported: { ...same, kiosk_url: 'https://old' } }),
      [],
      'deploy',
      true,
    ],
  ] as const)('%s', (_name, state, ignore, action, set) => {
    const d = planConfig(desired, state, [...ignore]);
    expect(d.action).toBe(action);
    if (d.action === 'deploy') expect(d.set).toBe(set);
  });

  test('the plan shows changed keys only, secret-looking ones masked', () => {
    const d = planConfig(
      desired,
      st({ configured: { ...same, kiosk_url: 'https://old', INFLUX_TOKEN: 'old-secret' } }),
      [],
    );
    expect(d.action === 'deploy' && { from: d.from, to: d.to }).toEqual({
      from: { INFLUX_TOKEN: '********', kiosk_url: 'https://old' },
      to: { INFLUX_TOKEN: '********', kiosk_url: 'https://k' },
    });
  });
});
