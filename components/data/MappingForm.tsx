'use client';
// The Data screen's column mapping: which columns hold the text (and pair), the label and the split, and the task.
// Named entities (CoNLL, token JSONL) map a tokens column and a tags column instead of a text and a label.
import type { ColumnMapping } from '@/lib/session/types';

const TASKS: { value: ColumnMapping['task']; label: string }[] = [
  { value: 'classification', label: 'Classification (one label per row)' },
  { value: 'multilabel', label: 'Multi-label' },
  { value: 'regression', label: 'Regression (numeric label)' },
  { value: 'token-classification', label: 'Named entities (token classification)' },
];

/** Whether the mapping names what an import needs: a text (tokens) column and a label (tags) column. */
export function mappingComplete(m: ColumnMapping): boolean {
  return m.task === 'token-classification' ? !!m.text && !!m.tags : !!m.text && !!m.label?.length;
}

/** The mapping after a change of task: NER takes the tokens/tags columns where the file has them. */
function withTask(m: ColumnMapping, task: ColumnMapping['task'], columns: string[]): ColumnMapping {
  if (task !== 'token-classification') return { ...m, task, tags: undefined };
  const pick = (names: string[], fallback: string | undefined) => names.find((n) => columns.includes(n)) ?? fallback;
  return {
    ...m,
    task,
    text: pick(['tokens', 'words'], m.text) ?? m.text,
    tags: pick(['tags', 'ner_tags', 'labels', 'ner'], m.tags ?? m.label?.[0]),
    textPair: undefined,
    label: undefined,
  };
}

export function MappingForm({
  columns,
  mapping,
  onChange,
}: {
  columns: string[];
  mapping: ColumnMapping;
  onChange(m: ColumnMapping): void;
}) {
  const opt = (c: string) => (
    <option key={c} value={c}>
      {c}
    </option>
  );
  const ner = mapping.task === 'token-classification';
  return (
    <fieldset className="grid-form" data-testid="mapping">
      <legend>Columns</legend>
      <label className="span-all">
        Task
        <select value={mapping.task} onChange={(e) => onChange(withTask(mapping, e.target.value as ColumnMapping['task'], columns))}>
          {TASKS.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        {ner ? 'Tokens column (words, space-separated)' : 'Text column'}
        <select value={mapping.text} onChange={(e) => onChange({ ...mapping, text: e.target.value })}>
          {columns.map(opt)}
        </select>
      </label>
      {ner ? (
        <label>
          Tags column (one tag per word)
          <select value={mapping.tags ?? ''} onChange={(e) => onChange({ ...mapping, tags: e.target.value || undefined })}>
            <option value="">— choose —</option>
            {columns.map(opt)}
          </select>
        </label>
      ) : (
        <>
          <label>
            Second text (pairs, optional)
            <select value={mapping.textPair ?? ''} onChange={(e) => onChange({ ...mapping, textPair: e.target.value || undefined })}>
              <option value="">— none —</option>
              {columns.map(opt)}
            </select>
          </label>
          <label>
            Label column
            <select
              value={mapping.label?.[0] ?? ''}
              onChange={(e) => onChange({ ...mapping, label: e.target.value ? [e.target.value] : [] })}
            >
              <option value="">— choose —</option>
              {columns.map(opt)}
            </select>
          </label>
        </>
      )}
      {mapping.task === 'multilabel' && (
        <label>
          Label separator
          <input
            value={mapping.labelSeparator ?? ''}
            placeholder="|"
            onChange={(e) => onChange({ ...mapping, labelSeparator: e.target.value || undefined })}
          />
        </label>
      )}
      <label>
        Split column (optional)
        <select value={mapping.split ?? ''} onChange={(e) => onChange({ ...mapping, split: e.target.value || undefined })}>
          <option value="">— none —</option>
          {columns.map(opt)}
        </select>
      </label>
      {!ner && (
        <label className="check">
          <input
            type="checkbox"
            checked={!!mapping.caseFoldLabels}
            onChange={(e) => onChange({ ...mapping, caseFoldLabels: e.target.checked })}
          />
          Ignore case in labels
        </label>
      )}
      {ner && (
        <p className="help muted small span-all">
          Each row is one sentence: its words and one tag per word. BIO, IOB1, BIOES and IO tags are read and converted to BIO (B-PER,
          I-PER, O); the model learns a tag per word and is scored on whole entities.
        </p>
      )}
    </fieldset>
  );
}
