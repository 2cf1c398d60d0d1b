/**
 * Errors that reach a user of onebox (CLI, admin API) carry a stable code and say what
 * was wrong with which value. The admin API maps codes to HTTP statuses.
 */
export type ErrorCode = 'invalid' | 'not_found' | 'conflict' | 'unauthorized';

export class OneboxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OneboxError';
  }
}

export const invalid = (message: string): OneboxError => new OneboxError('invalid', message);
export const notFound = (message: string): OneboxError => new OneboxError('not_found', message);
export const conflict = (message: string): OneboxError => new OneboxError('conflict', message);
