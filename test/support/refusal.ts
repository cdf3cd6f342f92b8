// What a domain check refused, as the field it named and its message; null when it let the value through.
import { InvalidField } from '../../src/errors.js';

export function refusalOf(check: () => void): { field: string; message: string } | null {
  try {
    check();
    return null;
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    return { field: error.field, message: error.message };
  }
}
