/** Every Jinja/Ansible test issue 3 lists (`x is defined`, `v is version(...)`), by example. */
import { FleetFailure } from '../../src/errors/index.js';
import { Templar } from '../../src/template/index.js';

const templar = new Templar();
const vars = { n: 3, s: 'rpi-4', l: ['a', 'b'], d: { k: 1 }, nul: null, yes: true, no: false };

/** [test under test, expression, expected] */
const CASES: [string, string, boolean][] = [
  ['defined', 'n is defined', true],
  ['defined', 'nope is defined', false],
  ['defined', 'd.nope is defined', false],
  ['defined', 'nope.deeper.still is defined', false],
  ['undefined', 'nope is undefined', true],
  ['undefined', 'n is not undefined', true],
  ['none', 'nul is none', true],
  ['none', 'n is none', false],
  ['true', 'yes is true', true],
  ['true', '1 is true', false],
  ['false', 'no is false', true],
  ['false', "'' is false", false],
  ['string', 's is string', true],
  ['string', 'n is string', false],
  ['number', 'n is number', true],
  ['number', "'3' is number", false],
  ['mapping', 'd is mapping', true],
  ['mapping', 'l is mapping', false],
  ['sequence', 'l is sequence', true],
  ['sequence', 'n is sequence', false],
  ['in', "'a' is in(l)", true],
  ['in', "'k' is in(d)", true],
  ['in', "'pi' is in s", true],
  ['in', "'z' is in(l)", false],
  ['match', "s is match('rpi')", true],
  ['match', "s is match('pi')", false],
  ['match', "s is match('RPI', ignorecase=true)", true],
  ['search', "s is search('pi-\\d')", true],
  ['search', "s is search('zero')", false],
  ['version', "'1.10' is version('1.9', '>')", true],
  ['version', "'1.10' is version('1.9', 'gt')", true],
  ['version', "'1.9' is version('1.10', '<')", true],
  ['version', "'1.9' is version('1.10', 'lt')", true],
  ['version', "'2.0' is version('2.0', '>=')", true],
  ['version', "'2.0' is version('2.0', 'ge')", true],
  ['version', "'2.0' is version('2.0.0', '<=')", true],
  ['version', "'2.0' is version('2.0.0', 'le')", true],
  ['version', "'2.0' is version('2.0', '==')", true],
  ['version', "'2.0' is version('2.0', '=')", true],
  ['version', "'2.0' is version('2.0', 'eq')", true],
  ['version', "'2.0' is version('2.0')", true],
  ['version', "'2.0' is version('2.1', '!=')", true],
  ['version', "'2.0' is version('2.1', 'ne')", true],
  ['version', "'2.0' is version('2.1', '<>')", true],
  ['version', "'2.0' is version('2.0', operator='ne')", false],
  ['version', "'1.0.0-rc.1' is version('1.0.0-rc.2', '<', version_type='semver')", true],
  ['version', "'1.2' is version('1.2.0', '==', strict=true)", true],
  ['version', "'4.19.0-rpi' is ansible.builtin.version('4.19.0-rpi', 'eq')", true],
  ['version_compare', "'1.10' is version_compare('1.9', '>=')", true],
  ['version_compare', "'1.8' is version_compare('1.9', 'ge')", false],
];

test('every test issue 3 lists has examples here', () => {
  const listed =
    'defined undefined none true false string number mapping sequence in match search version version_compare';
  const covered = new Set(CASES.map(([t]) => t));
  expect(listed.split(' ').filter((t) => !covered.has(t))).toEqual([]);
});

test.each(CASES)('%s: %s', (_t, expr, expected) => {
  expect(templar.evaluate(expr, vars)).toBe(expected);
  expect(templar.conditional(expr, vars)).toBe(expected);
});

test('version tests: every operator in select(), and bad operators and versions are clear errors', () => {
  expect(templar.template("{{ ['1.9', '1.10', '2.0'] | select('version', '1.10', '>=') | list }}", {})).toEqual([
    '1.10',
    '2.0',
  ]);
  const fail = (expr: string) => {
    try {
      templar.evaluate(expr, {}, { task: 'check os' });
    } catch (e) {
      return (e as FleetFailure).message;
    }
    throw new Error('expected an error');
  };
  expect(fail("'1.0' is version('1.1', '=>')")).toContain('Invalid operator type (=>)');
  expect(fail("'1.0a' is version('1.0.1', '<')")).toContain('Version comparison failed');
  expect(fail("'1.0' is version('', '<')")).toContain('cannot be empty');
});

test('task result tests the engine relies on', () => {
  const r = { res: { changed: true, failed: false }, bad: { failed: true }, skip: { skipped: true } };
  expect(
    templar.evaluate('[res is changed, res is failed, res is succeeded, bad is failed, skip is skipped]', r),
  ).toEqual([true, false, true, true, true]);
});
