import { describe, expect, it } from 'vitest';
import {
  clfTime,
  fromHandlerResult,
  splitRequestTarget,
  toApiGatewayV2Event,
  traceIdOf,
  type HttpRequestInput,
} from '../../src/runtime/apigw.js';

// The examples are AWS's, from "Create AWS Lambda proxy integrations for HTTP APIs in API
// Gateway" (payload format structure 2.0; Lambda function response for format 2.0).

const base: HttpRequestInput = {
  method: 'POST',
  rawPath: '/my/path',
  rawQueryString: '',
  headers: [],
  sourceIp: '192.0.2.1',
  requestId: 'id',
  timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58),
};

const headerValue = (headers: string[], name: string): string[] =>
  headers.flatMap((h, i) => (i % 2 === 0 && h.toLowerCase() === name ? [headers[i + 1]!] : []));

describe('HTTP request -> payload format 2.0 event', () => {
  it("reproduces AWS's documented 2.0 example", () => {
    const event = toApiGatewayV2Event({
      ...base,
      ...splitRequestTarget('/my/path?parameter1=value1&parameter1=value2&parameter2=value'),
      headers: [
        'Header1',
        'value1',
        'header2',
        'value1',
        'Header2',
        'value2',
        'Cookie',
        'cookie1; cookie2',
        'User-Agent',
        'agent',
        'Host',
        'id.execute-api.us-east-1.amazonaws.com',
      ],
      body: Buffer.from('Hello from Lambda'),
    });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/my/path',
      rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
      cookies: ['cookie1', 'cookie2'],
      headers: { header1: 'value1', header2: 'value1,value2' },
      queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
      requestContext: {
        accountId: '000000000000',
        domainName: 'id.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'id',
        http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
        requestId: 'id',
        routeKey: '$default',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58),
      },
    });
    // No content type: the body is binary, so base64.
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').toString()).toBe('Hello from Lambda');
    // The Cookie header moved to `cookies`.
    expect(event.headers.cookie).toBeUndefined();
  });

  it('takes an object of headers, lowercases names and joins repeats with commas', () => {
    const event = toApiGatewayV2Event({
      ...base,
      headers: {
        'X-Multi': ['a', 'b'],
        Accept: 'text/html',
        'Content-Length': 3,
        Absent: undefined,
        cookie: ['a=1', 'b=2; c=3'],
      },
    });
    expect(event.headers).toEqual({ 'x-multi': 'a,b', accept: 'text/html', 'content-length': '3' });
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('passes text/*, JSON, XML and JavaScript bodies as strings; any other, form posts included, as base64', () => {
    const json = toApiGatewayV2Event({
      ...base,
      headers: ['content-type', 'application/json; charset=utf-8'],
      body: Buffer.from('{"a":"é"}'),
    });
    expect(json).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
    for (const type of ['text/plain', 'text/csv; charset=utf-8', 'application/xml', 'application/javascript']) {
      const event = toApiGatewayV2Event({ ...base, headers: ['content-type', type], body: Buffer.from('x') });
      expect(event, type).toMatchObject({ body: 'x', isBase64Encoded: false });
    }
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/vnd.api+json',
    ]) {
      const event = toApiGatewayV2Event({ ...base, headers: ['content-type', type], body: Buffer.from('a=1&b=2') });
      expect(event, type).toMatchObject({ body: Buffer.from('a=1&b=2').toString('base64'), isBase64Encoded: true });
    }
    const noType = toApiGatewayV2Event({ ...base, headers: [], body: Buffer.from('x') });
    expect(noType.isBase64Encoded).toBe(true);
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const png = toApiGatewayV2Event({ ...base, headers: ['content-type', 'image/png'], body: bytes });
    expect(png.isBase64Encoded).toBe(true);
    expect(Buffer.from(png.body!, 'base64')).toEqual(bytes);
    const octets = toApiGatewayV2Event({
      ...base,
      headers: ['content-type', 'application/octet-stream'],
      body: new Uint8Array([1, 2, 3]),
    });
    expect(octets).toMatchObject({ body: 'AQID', isBase64Encoded: true });
  });

  it('matches an event a live HTTP API delivered: decoded path, `+` as a space, the headers API Gateway adds', () => {
    // The request and the fields of the event a live HTTP API (payload 2.0, us-west-2) gave
    // for it, as published with hotsock/voker's test data (vokerhttp/testdata).
    const body = '{"message":"hello from the public internet","unicode":"lambda-λ"}';
    const event = toApiGatewayV2Event({
      method: 'POST',
      ...splitRequestTarget(
        '/capture/space%20value?repeat=one&repeat=two&redirect=https%3A%2F%2Fexample.com%2Fa%2Fb&literalPlus=a+b&encodedPlus=a%2Bb&empty=',
      ),
      headers: [
        'Host',
        'sjzepsqsu5.execute-api.us-west-2.amazonaws.com',
        'User-Agent',
        'curl/8.7.1',
        'Accept',
        '*/*',
        'X-Voker-Probe',
        'first',
        'X-Voker-Probe',
        'second',
        'Cookie',
        'session=abc123; theme=dark',
        'Content-Type',
        'application/json',
        'X-Forwarded-For',
        '68.8.83.18',
        'X-Forwarded-Proto',
        'https',
      ],
      body: Buffer.from(body),
      sourceIp: '68.8.83.18',
      requestId: 'ATfSmjLgPHcESJw=',
      timeEpoch: 1783711145766,
      port: 443,
      traceId: traceIdOf(1783711145766, '1bae89e2512ec92d5d9438a0'),
    });
    expect(event.rawPath).toBe('/capture/space value');
    expect(event.rawQueryString).toBe(
      'repeat=one&repeat=two&redirect=https%3A%2F%2Fexample.com%2Fa%2Fb&literalPlus=a+b&encodedPlus=a%2Bb&empty=',
    );
    expect(event.queryStringParameters).toEqual({
      empty: '',
      encodedPlus: 'a+b',
      literalPlus: 'a b',
      redirect: 'https://example.com/a/b',
      repeat: 'one,two',
    });
    expect(event.cookies).toEqual(['session=abc123', 'theme=dark']);
    expect(event.headers).toEqual({
      accept: '*/*',
      'content-length': '66',
      'content-type': 'application/json',
      host: 'sjzepsqsu5.execute-api.us-west-2.amazonaws.com',
      'user-agent': 'curl/8.7.1',
      'x-amzn-trace-id': 'Root=1-6a5145a9-1bae89e2512ec92d5d9438a0',
      'x-forwarded-for': '68.8.83.18',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      'x-voker-probe': 'first,second',
    });
    expect(event.requestContext).toMatchObject({
      domainName: 'sjzepsqsu5.execute-api.us-west-2.amazonaws.com',
      domainPrefix: 'sjzepsqsu5',
      http: {
        method: 'POST',
        path: '/capture/space value',
        protocol: 'HTTP/1.1',
        sourceIp: '68.8.83.18',
        userAgent: 'curl/8.7.1',
      },
      requestId: 'ATfSmjLgPHcESJw=',
      time: '10/Jul/2026:19:19:05 +0000',
      timeEpoch: 1783711145766,
    });
    expect(event).toMatchObject({ body, isBase64Encoded: false });
  });

  it('keeps a trace id the request carries, and the public host given in place of Host', () => {
    const event = toApiGatewayV2Event({
      ...base,
      headers: ['host', '127.0.0.1:8080', 'x-amzn-trace-id', 'Root=1-00000000-000000000000000000000001'],
      domainName: 'shop.example.com',
      traceId: 'Root=1-5e6a8a9e-aaaaaaaaaaaaaaaaaaaaaaaa',
    });
    expect(event.headers.host).toBe('shop.example.com');
    expect(event.headers['x-amzn-trace-id']).toBe('Root=1-00000000-000000000000000000000001');
    expect(event.requestContext).toMatchObject({ domainName: 'shop.example.com', domainPrefix: 'shop' });
  });

  it('delivers UTF-8 header values decoded, and any other bytes as they came', () => {
    const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1'); // as node reads it
    const event = toApiGatewayV2Event({
      ...base,
      headers: ['x-name', latin1('Zoë λ'), 'x-raw', '\xe9t\xe9', 'x-ascii', 'plain'],
    });
    expect(event.headers).toMatchObject({ 'x-name': 'Zoë λ', 'x-raw': '\xe9t\xe9', 'x-ascii': 'plain' });
  });

  it('leaves out body, cookies and queryStringParameters when the request has none', () => {
    const event = toApiGatewayV2Event({ ...base, method: 'get', rawPath: '/', body: Buffer.alloc(0) });
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.http.method).toBe('GET');
    expect(event.requestContext.domainName).toBe('localhost');
    expect(event.requestContext.http.userAgent).toBe('');
  });

  it('decodes query parameters, keeps the raw query string, and takes options', () => {
    const event = toApiGatewayV2Event({
      ...base,
      rawPath: '/a%20b',
      rawQueryString: 'q=caf%C3%A9&flag&x=1&x=&bad=%E0%A4%A',
      headers: ['host', 'shop.example.com:8080'],
      stage: 'prod',
      apiId: 'abc',
      accountId: '123456789012',
      protocol: 'HTTP/2.0',
    });
    expect(event.rawQueryString).toBe('q=caf%C3%A9&flag&x=1&x=&bad=%E0%A4%A');
    expect(event.queryStringParameters).toEqual({ q: 'café', flag: '', x: '1,', bad: '%E0%A4%A' });
    expect(event.rawPath).toBe('/a b');
    expect(event.requestContext).toMatchObject({
      apiId: 'abc',
      accountId: '123456789012',
      domainName: 'shop.example.com',
      domainPrefix: 'shop',
      stage: 'prod',
      http: { protocol: 'HTTP/2.0', path: '/a b' },
    });
  });

  it('formats requestContext.time in Common Log Format, UTC', () => {
    expect(clfTime(Date.UTC(2026, 0, 5, 3, 4, 5, 678))).toBe('05/Jan/2026:03:04:05 +0000');
  });
});

describe('handler result -> HTTP response', () => {
  it('infers 200 application/json for a string, as AWS documents ("Hello from Lambda!")', () => {
    const r = fromHandlerResult('Hello from Lambda!');
    expect(r.statusCode).toBe(200);
    expect(headerValue(r.headers, 'content-type')).toEqual(['application/json']);
    expect(r.body.toString()).toBe('Hello from Lambda!');
  });

  it('infers 200 application/json with the JSON text for an object without statusCode', () => {
    const r = fromHandlerResult({ message: 'Hello from Lambda!' });
    expect(r.statusCode).toBe(200);
    expect(headerValue(r.headers, 'content-type')).toEqual(['application/json']);
    expect(JSON.parse(r.body.toString())).toEqual({ message: 'Hello from Lambda!' });
    expect(fromHandlerResult([1, 2]).body.toString()).toBe('[1,2]');
    expect(fromHandlerResult(42).body.toString()).toBe('42');
    expect(fromHandlerResult(undefined).body.toString()).toBe('null');
  });

  it('maps the full form: status, headers, each cookie to its own Set-Cookie, body', () => {
    const r = fromHandlerResult({
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
      isBase64Encoded: false,
      statusCode: 201,
      headers: { 'Content-Type': 'text/html', 'X-Count': 3, 'Content-Length': '999' },
      body: '<h1>hi</h1>',
    });
    expect(r.statusCode).toBe(201);
    expect(headerValue(r.headers, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(headerValue(r.headers, 'content-type')).toEqual(['text/html']);
    expect(headerValue(r.headers, 'x-count')).toEqual(['3']);
    expect(headerValue(r.headers, 'content-length')).toEqual([String(Buffer.byteLength('<h1>hi</h1>'))]);
    expect(r.body.toString()).toBe('<h1>hi</h1>');
    expect(r.malformed).toBeUndefined();
  });

  it('decodes a base64 body', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const r = fromHandlerResult({
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    expect(r.body).toEqual(bytes);
  });

  it('answers a full form without a body with an empty one', () => {
    const r = fromHandlerResult({ statusCode: 204 });
    expect(r.statusCode).toBe(204);
    expect(r.body.length).toBe(0);
  });

  it('answers 500 Internal Server Error for a malformed full form', () => {
    for (const bad of [
      { statusCode: '200' },
      { statusCode: 99 },
      { statusCode: 200, body: { a: 1 } },
      { statusCode: 200, headers: 'x' },
      { statusCode: 200, headers: { a: { b: 1 } } },
      { statusCode: 200, cookies: 'a=1' },
    ]) {
      const r = fromHandlerResult(bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(500);
      expect(JSON.parse(r.body.toString())).toEqual({ message: 'Internal Server Error' });
      expect(r.malformed).toBeTruthy();
    }
  });

  it('drops hop-by-hop headers of a result, those its Connection lists too', () => {
    const r = fromHandlerResult({
      statusCode: 200,
      headers: {
        Connection: 'keep-alive, x-private',
        'Keep-Alive': 'timeout=5',
        'Transfer-Encoding': 'chunked',
        Upgrade: 'h2c',
        'X-Private': 'hop',
        'X-Kept': 'end-to-end',
      },
      body: 'ok',
    });
    expect(r.headers).toEqual(['X-Kept', 'end-to-end', 'content-length', '2']);
  });

  it('sends 204 and 304 without a body or Content-Length', () => {
    for (const statusCode of [204, 304]) {
      const r = fromHandlerResult({ statusCode, headers: { etag: '"1"', 'content-length': '5' }, body: 'hello' });
      expect(r.statusCode).toBe(statusCode);
      expect(headerValue(r.headers, 'content-length')).toEqual([]);
      expect(r.body.length).toBe(0);
    }
  });

  it("answers HEAD with the length the handler gave for its body (a GET's), not 0", () => {
    const declared = fromHandlerResult(
      { statusCode: 200, headers: { 'content-length': '1234', 'content-type': 'text/html' }, body: '' },
      { head: true },
    );
    expect(headerValue(declared.headers, 'content-length')).toEqual(['1234']);
    const withBody = fromHandlerResult({ statusCode: 200, body: 'hello' }, { head: true });
    expect(headerValue(withBody.headers, 'content-length')).toEqual(['5']);
    const get = fromHandlerResult({ statusCode: 200, headers: { 'content-length': '1234' }, body: '' });
    expect(headerValue(get.headers, 'content-length')).toEqual(['0']);
  });

  it('answers 502 for an informational status given as the final one (it would leave the client waiting)', () => {
    for (const statusCode of [100, 101, 103, 199]) {
      const r = fromHandlerResult({ statusCode, headers: { link: '</a.css>; rel=preload' } });
      expect(r.statusCode, String(statusCode)).toBe(502);
      expect(JSON.parse(r.body.toString())).toEqual({ message: 'Bad Gateway' });
      expect(r.malformed).toMatch(/informational/);
    }
  });

  it('answers 500 for headers node cannot send, saying which and where', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ headers: { 'x-dash': 'a – b' } }, /header x-dash has a character .* \(U\+2013 at 2\)/],
      [{ headers: { 'x-crlf': 'a\r\nx-injected: 1' } }, /header x-crlf has a character .* \(U\+000D at 1\)/],
      [{ headers: { 'bad name': 'x' } }, /header name "bad name" is not a valid HTTP field name/],
      [{ cookies: ['a=1\nb=2'] }, /a cookie: header set-cookie has a character .* \(U\+000A at 3\)/],
    ];
    for (const [extra, reason] of cases) {
      const r = fromHandlerResult({ statusCode: 200, body: 'x', ...extra });
      expect(r.statusCode).toBe(500);
      expect(JSON.parse(r.body.toString())).toEqual({ message: 'Internal Server Error' });
      expect(r.malformed).toMatch(reason);
    }
    // Latin-1 is sendable, as node sends it.
    expect(fromHandlerResult({ statusCode: 200, headers: { 'x-name': 'Zoë' } }).malformed).toBeUndefined();
  });
});
