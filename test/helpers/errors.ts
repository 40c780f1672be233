import { expect } from 'vitest';
import { UsageError } from '../../src/errors.js';

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** The UsageError a promise rejects with; fails the test on success or on any other error. */
export async function errorOf(p: Promise<unknown>): Promise<UsageError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(UsageError);
  return e as UsageError;
}
