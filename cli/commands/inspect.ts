// finetune inspect: what the engine makes of a data file (format, columns, suggested mapping, labels, warnings) and its
// dataset report (label distribution, duplicates, conflicting labels, empty texts).
import { str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { analyse } from '../../lib/data/report';
import { loadTable, mapTable, mappingFor } from '../data';

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const t = await loadTable(str(opts, 'data')!, '--data');
  const { mapping, guessed } = mappingFor(
    t,
    {
      text: str(opts, 'text-column'),
      textPair: str(opts, 'text-pair-column'),
      label: str(opts, 'label-column'),
      labelSeparator: str(opts, 'label-separator'),
      task: str(opts, 'task') as 'classification' | 'multilabel' | 'regression' | undefined,
    },
    true,
  );
  const mapped = mapTable(t, mapping);
  const { table } = t;
  const report = {
    file: t.path,
    format: table.format,
    encoding: table.encoding,
    delimiter: table.delimiter,
    lineEnding: table.lineEnding,
    hasHeader: table.hasHeader,
    bytes: table.bytes,
    rows: table.rows.length,
    columns: table.columns,
    mapping,
    guessed,
    labels: mapped.labels,
    warnings: [...table.warnings, ...mapped.warnings],
    ...analyse(mapped.records),
  };
  cli.out(JSON.stringify(report));
}
