import { chunk, hasNextPage, pageCount, parseLink, parseTotalCount } from '../../src/ota/paging.js';

describe('Link header', () => {
  test.each([
    [
      '<https://m/api?page=1&per_page=2>; rel="first", <https://m/api?page=3&per_page=2>; rel="next"',
      { first: 'https://m/api?page=1&per_page=2', next: 'https://m/api?page=3&per_page=2' },
    ],
    ['</api?page=2>; rel=next', { next: '/api?page=2' }],
    ['<a,b>; rel="prev next"', { prev: 'a,b', next: 'a,b' }],
    [
      '<https://x/?q=a,b>; rel="first", <https://x/?q=c>; rel="prev"',
      { first: 'https://x/?q=a,b', prev: 'https://x/?q=c' },
    ],
    ['garbage, <ok>; rel="next"', { next: 'ok' }],
    ['', {}],
  ])('%s', (header, expected) => {
    expect(Object.fromEntries(parseLink(header))).toEqual(expected);
  });
});

describe('X-Total-Count', () => {
  test.each([
    ['42', 42],
    ['0', 0],
    ['', undefined],
    ['-1', undefined],
    ['4.5', undefined],
    [undefined, undefined],
  ])('%s → %s', (h, n) => expect(parseTotalCount(h)).toBe(n));
});

describe('next page', () => {
  test.each([
    // Link decides when present
    [{ page: 1, perPage: 2, received: 2, link: '<x>; rel="first"' }, false],
    [{ page: 1, perPage: 2, received: 1, link: '<x>; rel="next"' }, true],
    // then X-Total-Count
    [{ page: 2, perPage: 2, received: 2, totalCount: '5' }, true],
    [{ page: 3, perPage: 2, received: 1, totalCount: '5' }, false],
    [{ page: 2, perPage: 2, received: 2, totalCount: '4' }, false],
    // then a full page means maybe more
    [{ page: 1, perPage: 2, received: 2 }, true],
    [{ page: 1, perPage: 2, received: 1 }, false],
  ])('%j → %s', (info, expected) => expect(hasNextPage(info)).toBe(expected));

  test('page counts', () => {
    expect([pageCount(0, 500), pageCount(500, 500), pageCount(501, 500), pageCount(100_000, 500)]).toEqual([
      1, 1, 2, 200,
    ]);
  });
});

describe('chunk', () => {
  test('splits at the size and keeps order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
  test('refuses a size below 1', () => expect(() => chunk([1], 0)).toThrow(RangeError));
});
