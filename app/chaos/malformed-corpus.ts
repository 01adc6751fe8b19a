// The malformed-request corpus: data, generated deterministically (same list on every run).
// Every case is a request the API must refuse with a 4xx, without writing anything.
// Cases are sent as raw bytes (see malformed-run.ts) so that broken framing, duplicate and
// non-ASCII headers reach the server exactly as written.

export type Category =
  | 'broken JSON'
  | 'wrong types'
  | 'huge numbers'
  | 'NaN/Infinity strings'
  | 'negative, zero and over-precise amounts'
  | 'unknown currencies'
  | 'unknown fields'
  | 'oversized bodies'
  | 'wrong content types'
  | 'header abuse'
  | 'SQL injection'
  | 'script injection'
  | 'unicode edge cases'
  | 'methods, paths and queries';

export interface MalformedRequest {
  category: Category;
  name: string;
  method: string;
  path: string;
  /** Header lines as sent, in order; duplicates allowed. Content-Length is added unless given. */
  headers: [string, string][];
  body: Buffer;
  /**
   * Node's HTTP parser rejects this before Express sees it; the server's clientError handler
   * (src/server.ts) answers it, in the same JSON error shape, and closes the connection.
   */
  rejectedByHttpParser?: boolean;
}

const json: [string, string][] = [['Content-Type', 'application/json']];

function post(
  category: Category,
  name: string,
  body: string | Buffer,
  headers: [string, string][] = json,
  extra: Partial<MalformedRequest> = {},
): MalformedRequest {
  return {
    category,
    name,
    method: 'POST',
    path: '/api/v1/payments',
    headers,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    ...extra,
  };
}

/** A body whose only fault is the given field value (amount defaults to a valid 10). */
function withField(field: string, value: unknown): string {
  const base: Record<string, unknown> = { amount: 10, currency: 'EUR' };
  base[field] = value;
  return JSON.stringify(base);
}

/** Raw JSON text for the amount, for values JSON.stringify cannot produce. */
function rawAmount(text: string, currency = 'EUR'): string {
  return `{"amount":${text},"currency":"${currency}"}`;
}

const sqlInjections = [
  "'; DROP TABLE payments; --",
  "' OR '1'='1",
  '1; DELETE FROM idempotency_keys',
  "EUR' UNION SELECT password FROM pg_shadow --",
  '$1',
  "'); INSERT INTO payments VALUES ('pay_x',1,'EUR',null,'pending',now()); --",
  '\\x27; SELECT pg_sleep(10); --',
  "1' AND pg_sleep(5)::text = '",
];

const scriptInjections = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{constructor.constructor("return process")()}}',
  '${process.exit(1)}',
  '<svg/onload=alert(1)>',
];

export function malformedRequests(): MalformedRequest[] {
  const cases: MalformedRequest[] = [];
  const add = (...items: MalformedRequest[]) => cases.push(...items);

  // broken JSON
  const broken: [string, string][] = [
    ['empty body', ''],
    ['whitespace only', '   \n\t '],
    ['open brace', '{'],
    ['unterminated object', '{"amount": 10'],
    ['unterminated string', '{"amount": 10, "currency": "EUR'],
    ['trailing comma', '{"amount": 10,}'],
    ['single quotes', "{'amount': 10}"],
    ['unquoted key', '{amount: 10}'],
    ['form encoding as JSON', 'amount=10&currency=EUR'],
    ['two objects', '{"amount": 10}{"amount": 20}'],
    ['trailing garbage', '{"amount": 10} x'],
    ['extra closing brace', '{"amount": 10}}'],
    ['comment', '{"amount": 10 /* ten */}'],
    ['line comment', '{"amount": 10} // ten'],
    ['NaN literal', '{"amount": NaN}'],
    ['Infinity literal', '{"amount": Infinity}'],
    ['-Infinity literal', '{"amount": -Infinity}'],
    ['hex literal', '{"amount": 0x10}'],
    ['leading zero', '{"amount": 010}'],
    ['leading dot', '{"amount": .5}'],
    ['trailing dot', '{"amount": 5.}'],
    ['plus sign', '{"amount": +5}'],
    ['dangling exponent', '{"amount": 1e}'],
    ['bare word', 'payment'],
    ['truncated true', '{"amount": 10, "x": tru}'],
    ['bad escape', '{"description": "\\q", "amount": 10}'],
    ['truncated unicode escape', '{"description": "\\u12", "amount": 10}'],
    ['raw newline in string', '{"description": "a\nb", "amount": 10}'],
    ['NUL byte outside strings', '{"amount": 10}\u0000'],
    ['missing colon', '{"amount" 10}'],
    ['missing value', '{"amount": }'],
    ['JSON scalar number', '10'],
    ['JSON scalar string', '"amount"'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
  ];
  for (const [name, body] of broken) add(post('broken JSON', name, body));

  // wrong types
  const wrongTypes: [string, string, unknown][] = [
    ['amount as string', 'amount', '10'],
    ['amount as decimal string', 'amount', '10.00'],
    ['amount as boolean', 'amount', true],
    ['amount null', 'amount', null],
    ['amount as array', 'amount', [10]],
    ['amount as object', 'amount', { value: 10 }],
    ['amount as empty array', 'amount', []],
    ['currency as number', 'currency', 978],
    ['currency null', 'currency', null],
    ['currency as boolean', 'currency', true],
    ['currency as array', 'currency', ['EUR']],
    ['currency as object', 'currency', { code: 'EUR' }],
    ['description as number', 'description', 5],
    ['description as boolean', 'description', false],
    ['description as array', 'description', ['a']],
    ['description as object', 'description', { text: 'a' }],
    ['description null', 'description', null],
  ];
  for (const [name, field, value] of wrongTypes)
    add(post('wrong types', name, withField(field, value)));
  add(
    post('wrong types', 'body is an array of payments', '[{"amount": 10}]'),
    post('wrong types', 'body is an empty array', '[]'),
    post('wrong types', 'body is an empty object', '{}'),
    post('wrong types', 'amount missing', '{"currency": "EUR"}'),
  );

  // huge numbers
  const huge = [
    '1e308',
    '1e309',
    '-1e309',
    '1.7976931348623157e308',
    '1000000.01',
    '1000001',
    '9007199254740993',
    '123456789012345678901234567890',
    '1e21',
    '1e400',
    '99999999999999999999.99',
    '1000000000',
    '4294967296',
    '18446744073709551616',
  ];
  for (const text of huge) add(post('huge numbers', `amount ${text}`, rawAmount(text)));

  // NaN/Infinity strings
  for (const text of [
    'NaN',
    'Infinity',
    '-Infinity',
    'nan',
    'inf',
    '1e3',
    '0x10',
    ' 10 ',
    '10,00',
    '١٠',
    '10€',
    '',
  ]) {
    add(post('NaN/Infinity strings', `amount "${text}"`, withField('amount', text)));
  }

  // negative, zero and over-precise amounts
  const precise: [string, string][] = [
    ['-1', 'EUR'],
    ['-0.01', 'EUR'],
    ['0', 'EUR'],
    ['-0', 'EUR'],
    ['0.0', 'EUR'],
    ['-1000000', 'EUR'],
    ['0.001', 'EUR'],
    ['10.001', 'EUR'],
    ['10.005', 'USD'],
    ['1.23456789', 'GBP'],
    ['0.999', 'CHF'],
    ['1.5', 'JPY'],
    ['0.1', 'JPY'],
    ['1000.01', 'JPY'],
    ['1.0001', 'KWD'],
    ['0.0005', 'KWD'],
    ['1e-7', 'EUR'],
    ['5e-324', 'EUR'],
    ['1.5e-10', 'EUR'],
    ['0.000001', 'EUR'],
  ];
  for (const [text, currency] of precise) {
    add(
      post(
        'negative, zero and over-precise amounts',
        `amount ${text} ${currency}`,
        rawAmount(text, currency),
      ),
    );
  }

  // unknown currencies
  for (const currency of [
    'XXX',
    'EURO',
    'eur',
    'Eur',
    '',
    'BTC',
    'US',
    'US D',
    '€',
    'EUR ',
    ' EUR',
    'XTS',
    'ZZZ',
    'USD\n',
    'E',
    'EUREUR',
    '978',
  ]) {
    add(
      post(
        'unknown currencies',
        `currency ${JSON.stringify(currency)}`,
        withField('currency', currency),
      ),
    );
  }

  // unknown fields
  const unknownFields: [string, string][] = [
    ['status', '{"amount": 10, "status": "succeeded"}'],
    ['id', '{"amount": 10, "id": "pay_00000000000000000000000000000000"}'],
    ['created_at', '{"amount": 10, "created_at": "2020-01-01T00:00:00Z"}'],
    ['amount_minor', '{"amount": 10, "amount_minor": 1}'],
    ['__proto__', '{"amount": 10, "__proto__": {"admin": true}}'],
    ['constructor', '{"amount": 10, "constructor": {"prototype": {"admin": true}}}'],
    ['Amount (case)', '{"Amount": 10}'],
    ['nested extra', '{"amount": 10, "metadata": {"order": 1}}'],
    ['duplicate amount keys', '{"amount": 10, "amount": "ten"}'],
  ];
  for (const [name, body] of unknownFields) add(post('unknown fields', name, body));

  // oversized bodies
  add(
    post('oversized bodies', '17 kB description', withField('description', 'a'.repeat(17 * 1024))),
    post('oversized bodies', '1 MB description', withField('description', 'a'.repeat(1024 * 1024))),
    post('oversized bodies', '100 kB of spaces', ' '.repeat(100 * 1024) + '{"amount": 10}'),
    post(
      'oversized bodies',
      'description of 501 characters',
      withField('description', 'd'.repeat(501)),
    ),
    post('oversized bodies', '2000 nested arrays', '['.repeat(2000) + ']'.repeat(2000)),
    post(
      'oversized bodies',
      'object of 1000 keys',
      JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))),
    ),
  );

  // wrong content types
  const valid = '{"amount": 10, "currency": "EUR"}';
  const contentTypes: [string, [string, string][]][] = [
    ['no Content-Type', []],
    ['text/plain', [['Content-Type', 'text/plain']]],
    ['form urlencoded', [['Content-Type', 'application/x-www-form-urlencoded']]],
    ['multipart', [['Content-Type', 'multipart/form-data; boundary=x']]],
    ['application/xml', [['Content-Type', 'application/xml']]],
    ['application/vnd.api+json', [['Content-Type', 'application/vnd.api+json']]],
    ['application/jsonp', [['Content-Type', 'application/jsonp']]],
    ['json with latin1 charset', [['Content-Type', 'application/json; charset=latin1']]],
    ['json with utf-16 charset', [['Content-Type', 'application/json; charset=utf-16']]],
    ['garbage Content-Type', [['Content-Type', ';;;/']]],
    ['gzip encoding of plain bytes', [...json, ['Content-Encoding', 'gzip']]],
    ['unsupported encoding', [...json, ['Content-Encoding', 'br2']]],
    ['octet-stream', [['Content-Type', 'application/octet-stream']]],
  ];
  for (const [name, headers] of contentTypes)
    add(post('wrong content types', name, valid, headers));

  // header abuse (valid body: only the header is wrong)
  const withKey = (key: string): [string, string][] => [...json, ['Idempotency-Key', key]];
  add(
    post('header abuse', 'empty Idempotency-Key', valid, withKey('')),
    post('header abuse', 'blank Idempotency-Key', valid, withKey('   ')),
    post('header abuse', 'Idempotency-Key of 256 characters', valid, withKey('k'.repeat(256))),
    post('header abuse', 'Idempotency-Key of 8 kB', valid, withKey('k'.repeat(8192))),
    post('header abuse', 'Idempotency-Key with a tab', valid, withKey('a\tb')),
    post('header abuse', 'Idempotency-Key in UTF-8', valid, withKey('clé-paiement')),
    post('header abuse', 'Idempotency-Key with DEL', valid, withKey('a\u007fb'), {
      rejectedByHttpParser: true,
    }),
    post('header abuse', 'duplicate Idempotency-Key headers', valid, [
      ...json,
      ['Idempotency-Key', 'dup-a'],
      ['Idempotency-Key', 'dup-b'],
    ]),
    post(
      'header abuse',
      'duplicate Content-Length',
      valid,
      [...json, ['Content-Length', String(Buffer.byteLength(valid))], ['Content-Length', '3']],
      { rejectedByHttpParser: true },
    ),
    post(
      'header abuse',
      'Content-Length and Transfer-Encoding',
      valid,
      [
        ...json,
        ['Content-Length', String(Buffer.byteLength(valid))],
        ['Transfer-Encoding', 'chunked'],
      ],
      { rejectedByHttpParser: true },
    ),
    post(
      'header abuse',
      'broken chunked encoding',
      'zz\r\n{"amount": 10}\r\n0\r\n\r\n',
      [...json, ['Transfer-Encoding', 'chunked']],
      { rejectedByHttpParser: true },
    ),
    post(
      'header abuse',
      'header of 20 kB',
      valid,
      [...json, ['X-Padding', 'p'.repeat(20 * 1024)]],
      {
        rejectedByHttpParser: true,
      },
    ),
    post('header abuse', 'header name with a space', valid, [...json, ['Bad Header', 'x']], {
      rejectedByHttpParser: true,
    }),
    post('header abuse', 'negative Content-Length', valid, [...json, ['Content-Length', '-1']], {
      rejectedByHttpParser: true,
    }),
    post('header abuse', 'Content-Type twice, text first', valid, [
      ['Content-Type', 'text/plain'],
      ['Content-Type', 'application/json'],
    ]),
  );
  for (const injection of [...sqlInjections.slice(0, 2), scriptInjections[0] as string]) {
    add(
      post('header abuse', `Content-Type ${JSON.stringify(injection)}`, valid, [
        ['Content-Type', injection],
      ]),
    );
  }

  // SQL injection: in fields that make the request invalid, in the path and in the query
  for (const injection of sqlInjections) {
    add(
      post('SQL injection', `currency ${injection}`, withField('currency', injection)),
      post('SQL injection', `amount ${injection}`, withField('amount', injection)),
      post(
        'SQL injection',
        `field name ${injection}`,
        JSON.stringify({ amount: 10, [injection]: 1 }),
      ),
      post(
        'SQL injection',
        `description ${injection} with amount 0`,
        JSON.stringify({ amount: 0, description: injection }),
      ),
      {
        category: 'SQL injection',
        name: `payment id ${injection}`,
        method: 'GET',
        path: `/api/v1/payments/${encodeURIComponent(injection)}`,
        headers: [],
        body: Buffer.alloc(0),
      },
      {
        category: 'SQL injection',
        name: `cursor ${injection}`,
        method: 'GET',
        path: `/api/v1/payments?cursor=${encodeURIComponent(Buffer.from(`${injection}|pay_x`).toString('base64url'))}`,
        headers: [],
        body: Buffer.alloc(0),
      },
    );
  }

  // script injection
  for (const injection of scriptInjections) {
    add(
      post('script injection', `currency ${injection}`, withField('currency', injection)),
      post(
        'script injection',
        `field name ${injection}`,
        JSON.stringify({ amount: 10, [injection]: 1 }),
      ),
      post(
        'script injection',
        `description ${injection} with amount -1`,
        JSON.stringify({ amount: -1, description: injection }),
      ),
      {
        category: 'script injection',
        name: `path ${injection}`,
        method: 'GET',
        path: `/api/v1/${encodeURIComponent(injection)}`,
        headers: [],
        body: Buffer.alloc(0),
      },
    );
  }

  // unicode edge cases
  const unicodeCurrencies = [
    'ЕUR', // Cyrillic Е
    'ＥＵＲ', // fullwidth
    'EU\u200dR', // zero-width joiner
    'EUR\u0000',
    'E\u0301UR', // combining accent
    '\u202eRUE', // right-to-left override
    '\ud83d\udcb6', // euro banknote emoji
    'EU\ud800R', // lone surrogate
    'İUR', // dotted capital I (case-mapping trap)
  ];
  for (const currency of unicodeCurrencies) {
    add(
      post(
        'unicode edge cases',
        `currency ${JSON.stringify(currency)}`,
        withField('currency', currency),
      ),
    );
  }
  add(
    post('unicode edge cases', 'Cyrillic o in "amount"', '{"amоunt": 10}'),
    post('unicode edge cases', 'fullwidth digits amount', withField('amount', '１０')),
    post('unicode edge cases', 'NUL in description', withField('description', 'order\u000042')),
    post('unicode edge cases', 'only NUL as description', withField('description', '\u0000')),
    post(
      'unicode edge cases',
      '251 emoji description (502 UTF-16 units)',
      withField('description', '💶'.repeat(251)),
    ),
    post(
      'unicode edge cases',
      'escaped lone high surrogate description',
      '{"amount": 10, "description": "order \\ud800 42"}',
    ),
    post(
      'unicode edge cases',
      'escaped lone low surrogate description',
      '{"amount": 10, "description": "\\udc00"}',
    ),
    post(
      'unicode edge cases',
      'lone surrogate description, amount 0',
      JSON.stringify({ amount: 0, description: '\ud800' }),
    ),
    post(
      'unicode edge cases',
      'escaped lone surrogate, amount 0',
      '{"amount": 0, "description": "\\udc00"}',
    ),
    post(
      'unicode edge cases',
      'invalid UTF-8 bytes, amount -5',
      Buffer.concat([
        Buffer.from('{"amount": -5, "description": "'),
        Buffer.from([0xc0, 0xaf, 0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
    ),
    post('unicode edge cases', 'UTF-8 BOM then invalid body', '\ufeff{"amount": "10"}'),
    post('unicode edge cases', 'UTF-16LE body', Buffer.from('{"amount": 10}', 'utf16le')),
    post('unicode edge cases', 'RTL override in field name', '{"\u202etnuoma": 10}'),
  );

  // methods, paths and queries
  const simple = (name: string, method: string, path: string, body = ''): MalformedRequest => ({
    category: 'methods, paths and queries',
    name,
    method,
    path,
    headers: body === '' ? [] : json,
    body: Buffer.from(body),
  });
  add(
    simple('PUT on the collection', 'PUT', '/api/v1/payments', valid),
    simple('DELETE on the collection', 'DELETE', '/api/v1/payments'),
    simple(
      'PATCH a payment',
      'PATCH',
      '/api/v1/payments/pay_00000000000000000000000000000000',
      valid,
    ),
    simple(
      'POST to a payment',
      'POST',
      '/api/v1/payments/pay_00000000000000000000000000000000',
      valid,
    ),
    simple('unknown payment id', 'GET', '/api/v1/payments/pay_00000000000000000000000000000000'),
    simple('malformed percent-encoding', 'GET', '/api/v1/payments/%E0%A4%A'),
    simple('percent-encoded NUL in id', 'GET', '/api/v1/payments/pay_%00'),
    simple('very long id', 'GET', `/api/v1/payments/${'a'.repeat(4000)}`),
    simple('limit not a number', 'GET', '/api/v1/payments?limit=abc'),
    simple('limit too large', 'GET', '/api/v1/payments?limit=1000'),
    simple('limit zero', 'GET', '/api/v1/payments?limit=0'),
    simple('limit negative', 'GET', '/api/v1/payments?limit=-1'),
    simple('limit twice', 'GET', '/api/v1/payments?limit=1&limit=2'),
    simple('fractional limit', 'GET', '/api/v1/payments?limit=1.5'),
    simple('cursor garbage', 'GET', '/api/v1/payments?cursor=%%%'),
    simple('cursor twice', 'GET', '/api/v1/payments?cursor=a&cursor=b'),
    simple('path traversal', 'GET', '/api/v1/payments/..%2f..%2fetc%2fpasswd'),
    simple('unknown route', 'POST', '/api/v2/payments', valid),
    simple('trailing dot route', 'POST', '/api/v1/payments.json', valid),
  );
  return cases;
}
