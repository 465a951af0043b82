// finetune inspect: what the engine makes of a data file (format, columns, suggested mapping, labels, warnings).
import type { CommandModule } from '../context';
import { str } from '../args';
import { loadTable, mapTable, mappingFor } from '../data';

export const inspect: CommandModule = {
  spec: {
    name: 'inspect',
    summary: 'report what a data file contains (format, columns, labels, problems) as JSON',
    usage: 'finetune inspect --data FILE [--text-column C] [--label-column L] [--task T]',
    options: [
      { name: 'data', type: 'string', required: true, meta: 'FILE', help: 'CSV, TSV or JSONL file (detected from its content)' },
      { name: 'text-column', type: 'string', meta: 'C', help: 'column with the text', defaultText: 'guessed' },
      { name: 'text-pair-column', type: 'string', meta: 'C2', help: 'column with the second text of a pair' },
      { name: 'label-column', type: 'string', meta: 'L', help: 'column with the label', defaultText: 'guessed' },
      { name: 'label-separator', type: 'string', meta: 'S', help: 'multilabel: separator inside the label cell', defaultText: '|' },
      { name: 'task', type: 'string', choices: ['classification', 'multilabel', 'regression'], meta: 'T', help: 'task', defaultText: 'guessed' },
    ],
    notes: ['Exit code 2 with one line naming the file, row and column when the file cannot be used.'],
  },
  async run(opts, cli) {
    const t = await loadTable(str(opts, 'data')!, '--data');
    const { mapping, guessed } = mappingFor(t, {
      text: str(opts, 'text-column'),
      textPair: str(opts, 'text-pair-column'),
      label: str(opts, 'label-column'),
      labelSeparator: str(opts, 'label-separator'),
      task: str(opts, 'task') as 'classification' | 'multilabel' | 'regression' | undefined,
    }, true);
    const mapped = mapTable(t, mapping);
    const { table } = t;
    const labelCounts: Record<string, number> = {};
    for (const r of mapped.records) {
      for (const l of r.label === null ? [] : Array.isArray(r.label) ? r.label : mapping.task === 'regression' ? [] : [String(r.label)]) labelCounts[l] = (labelCounts[l] ?? 0) + 1;
    }
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
      labelCounts,
      warnings: [...table.warnings, ...mapped.warnings],
    };
    cli.out(JSON.stringify(report));
  },
};
