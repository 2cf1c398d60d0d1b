import { describe, expect, it } from 'vitest';
import { absoluteForm, isValidHost } from '../../src/gateway/request-target.js';

describe('request target and Host checks', () => {
  it('splits absolute-form targets, and refuses other forms', () => {
    expect(absoluteForm('http://a.example/x?y=1')).toEqual({ authority: 'a.example', originForm: '/x?y=1' });
    expect(absoluteForm('HTTPS://a.example:8443?q')).toEqual({ authority: 'a.example:8443', originForm: '/?q' });
    expect(absoluteForm('http://[::1]:80/')).toEqual({ authority: '[::1]:80', originForm: '/' });
    for (const bad of ['*', 'example.com:443', 'ftp://a/', 'http:///x', 'http://u@a/', 'http://a b/', 'http://a/#f'])
      expect(absoluteForm(bad), bad).toBeUndefined();
  });

  it('takes host names, addresses and ports as Host values', () => {
    for (const ok of ['a', 'a.example:8080', '[::1]', '[2001:db8::1]:443', '127.0.0.1:0', ''])
      expect(isValidHost(ok), ok).toBe(true);
    for (const bad of ['a b', 'a/b', 'a@b', 'a:b', '[::1', 'a\tb']) expect(isValidHost(bad), bad).toBe(false);
  });
});
