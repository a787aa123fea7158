/**
 * Masking by meaning, piece by piece: values a template derives from a secret, keys declared
 * secret (fleetplay.yml `secret_keys:`) or learnt from a rendered configuration, and the values
 * the OTA server holds under them. The whole scenario through the CLI is secrets-scan.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clearSecretsForTests,
  isSecretKey,
  maskSecrets,
  registeredSecrets,
  registerSecretKeyValues,
} from '../../src/log/secrets.js';
import { loadStageList } from '../../src/stage/stages.js';
import { Templar } from '../../src/template/index.js';

const TOKEN = 'influx-tok+3/9Q==';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const env = { INFLUXDB_TOKEN: TOKEN, WIFI_PSK: 'psk-wifi 1234', PLAIN: 'not-a-secret-value' };

afterEach(() => clearSecretsForTests());

describe('a value derived from a secret inside a template is a secret', () => {
  test('b64encode of a prefixed token: unknown before the render, masked after it', () => {
    const t = new Templar({ env });
    const derived = b64(`fleet:${TOKEN}`);
    expect(maskSecrets(derived)).toBe(derived);
    const out = t.template(`{{ ("fleet:" ~ lookup('env', 'INFLUXDB_TOKEN')) | b64encode }}`, {});
    expect(out).toBe(derived);
    expect(maskSecrets(`auth=${derived}`)).toBe('auth=********');
  });

  test('a variable that came from a secret passes it on: what is computed from it is masked too', () => {
    const t = new Templar({ env });
    const token = t.template(`{{ lookup('env', 'INFLUXDB_TOKEN') }}`, {});
    const out = t.template('{{ tok | hash("sha1") }}', { tok: token });
    expect(typeof out).toBe('string');
    expect(maskSecrets(String(out))).toBe('********');
    // and through a member of a mapping (facts, registered results)
    const url = t.template('{{ facts.cfg.tok | urlencode }}x', { facts: { cfg: { tok: token } } });
    expect(maskSecrets(String(url))).toBe('********x');
  });

  test('only the expressions that read a secret: the text around and other expressions are left alone', () => {
    const t = new Templar({ env });
    const out = t.template(
      `image={{ image }} auth={{ lookup('env', 'INFLUXDB_TOKEN') | b64encode }} flag={{ 'on' if lookup('env', 'INFLUXDB_TOKEN') else 'off' }} next={{ image }}`,
      { image: 'fleet-os-1.1.0-raspberrypi4' },
    );
    expect(maskSecrets(String(out))).toBe(
      'image=fleet-os-1.1.0-raspberrypi4 auth=******** flag=on next=fleet-os-1.1.0-raspberrypi4',
    );
  });

  test('a render that reads no secret registers nothing', () => {
    const t = new Templar({ env });
    t.template(`{{ lookup('env', 'PLAIN') | b64encode }} {{ image | upper }}`, { image: 'fleet-os-long-name' });
    expect(registeredSecrets()).toEqual([]);
  });

  test('a value holding the secret itself masks just the secret, not the whole (a rendered configuration)', () => {
    const t = new Templar({ env });
    const out = t.template(`{{ {'os_image': image, 'token': lookup('env', 'INFLUXDB_TOKEN')} }}`, {
      image: 'fleet-os-1.1.0-raspberrypi4',
    });
    expect(out).toEqual({ os_image: 'fleet-os-1.1.0-raspberrypi4', token: TOKEN });
    expect(registeredSecrets()).toEqual([TOKEN]);
  });
});

describe('secret configuration keys', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleetplay-keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = `{
  "os_image": {{ image | to_json }},
  "influx_auth": {{ ("fleet:" ~ lookup('env', 'INFLUXDB_TOKEN')) | b64encode | to_json }},
  "wifi_psk": {{ lookup('env', 'WIFI_PSK') | to_json }}
}`;

  test('fleetplay.yml declares them; the default template token keys are secret without it', () => {
    expect(isSecretKey('influxdb_token')).toBe(true);
    expect(isSecretKey('gharunner_token')).toBe(true);
    expect(isSecretKey('wifi_psk')).toBe(false);
    writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [main, production]\nsecret_keys: [wifi_psk, Site_PIN]\n');
    const stages = loadStageList(dir);
    expect(stages.ok && stages.value.names).toEqual(['main', 'production']);
    expect(['wifi_psk', 'WIFI_PSK', 'site_pin'].map(isSecretKey)).toEqual([true, true, true]);
    expect(isSecretKey('influxdb_token')).toBe(true);
  });

  test('a bad declaration names the file, line and what to write', () => {
    writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [main]\nsecret_keys: [wifi_psk, "a key"]\n');
    const stages = loadStageList(dir);
    expect(stages.ok).toBe(false);
    if (stages.ok) return;
    expect(stages.error[0]).toMatchObject({ code: 'stages.invalid', line: 2 });
    expect(stages.error[0].message).toContain('secret_keys.1: a configuration key');
    expect(stages.error[0].hint).toContain('secret_keys: [wifi_psk]');
  });

  test('a rendered configuration file: declared keys registered whatever fed them, derived keys learnt', () => {
    writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [main]\nsecret_keys: [wifi_psk]\n');
    expect(loadStageList(dir).ok).toBe(true);
    writeFileSync(join(dir, 'config.json.j2'), config);
    const t = new Templar({ env, searchPaths: [dir] });
    t.template(`{{ lookup('template', 'config.json.j2') }}`, { image: 'fleet-os-1.1.0' });
    expect(maskSecrets('psk-wifi 1234')).toBe('********');
    expect(maskSecrets(b64(`fleet:${TOKEN}`))).toBe('********');
    expect(maskSecrets('fleet-os-1.1.0')).toBe('fleet-os-1.1.0');
    // influx_auth held a secret: an old value under it (on the OTA server) is a secret too.
    expect(isSecretKey('influx_auth')).toBe(true);
    registerSecretKeyValues({ influx_auth: 'old-derived-value', os_image: 'fleet-os-1.0.0' });
    expect(maskSecrets('old-derived-value fleet-os-1.0.0')).toBe('******** fleet-os-1.0.0');
  });

  test('values the server holds under secret keys, also inside a value holding a JSON document', () => {
    registerSecretKeyValues({
      influxdb_token: 'old-influx-token',
      monitoring: '{"api_key": "old-nested-key", "bucket": "hotspot"}',
      kiosk_url: 'https://kiosk.example.org',
    });
    expect(registeredSecrets().sort()).toEqual(['old-influx-token', 'old-nested-key']);
  });
});
