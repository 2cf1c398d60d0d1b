export * from './normal.js';
export * from './mann-whitney.js';
export * from './sprt.js';
export * from './binomial.js';
