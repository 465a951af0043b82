// finetune inspect: what the engine makes of a data file (format, columns, suggested mapping, labels, warnings) and its
// dataset report (label distribution, duplicates, conflicting labels, empty texts; NER: entities per type, sentence
// lengths).
import type { ParsedOptions } from '../args';
import type { Cli } from '../context';
import { analyse } from '../../lib/data/report';
import { headerHintFrom, columnFlags, loadTable, mapTable, mappingFor, tokenFieldsFrom } from '../data';
import { str } from '../args';

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const t = await loadTable(str(opts, 'data')!, '--data', tokenFieldsFrom(opts), headerHintFrom(opts));
  const { mapping, guessed } = mappingFor(t, columnFlags(opts), true);
  const mapped = mapTable(t, mapping);
  const { table } = t;
  const { ner, ...rest } = analyse(mapped.records);
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
    ...rest,
    // NER: the entity total beside the per-type counts
    ...(ner ? { ner: { ...ner, entities: ner.entityCounts.reduce((a, e) => a + e.count, 0) } } : {}),
  };
  cli.out(JSON.stringify(report));
}
