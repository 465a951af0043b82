// One cell of a parsed file, checked the same way in every format: a field over the size limit is an error (usually an
// unclosed quote), control characters are a warning with a visible mark in the snippet.
import { DataError, WarningSink, snippet } from './errors';

// eslint-disable-next-line no-control-regex -- replaced by a visible mark in snippets
const CONTROL_ALL = /[\x00-\x1F\x7F]/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x01-\x08\x0B\x0C\x0E-\x1F\x7F]/;

export function checkCell(
  cell: string,
  row: number,
  column: string | number,
  maxField: number,
  file: string | undefined,
  warnings: WarningSink,
): void {
  if (cell.length > maxField) {
    throw new DataError(
      'field-too-large',
      `A field has ${cell.length.toLocaleString('en')} characters, more than the limit of ${maxField.toLocaleString('en')}`,
      { file, row, column, snippet: snippet(cell) },
      'Usually a quote that was opened and never closed: check the quotes in this row, or raise the field size limit.',
    );
  }
  if (CONTROL.test(cell))
    warnings.add('control-chars', 'Some fields contain control characters', row, {
      column,
      snippet: snippet(cell.replace(CONTROL_ALL, '�')),
    });
}
