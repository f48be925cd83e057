import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { CellValue } from 'exceljs';
import { readJsonDocument } from './jsonl-lines.js';
import { badAt, DEFAULT_KEYS, nameList, RowCollector, unreadable, type PredictionRows, type Where } from './prediction-rows.js';

/** The table kinds VLMEvalKit writes its result files in. */
export type TableKind = 'xlsx' | 'csv' | 'tsv' | 'json';

/** One table row: its raw cells (strings for csv/tsv, exceljs values for xlsx) and where it is. */
interface TableRow {
  readonly where: Where;
  readonly cells: readonly CellValue[];
}

/**
 * Reads a VLMEvalKit result file, `<work_dir>/<model>_<dataset>.xlsx` by default (`.tsv` or `.json`
 * under PRED_FORMAT; open-compass/VLMEvalKit vlmeval/smp/file.py `get_pred_file_path`, `dump`,
 * vlmeval/inference.py; checked at e8e78f05f3080fe28154f2130321f17951c3be94). It is the dataset's
 * own table minus `image`, plus a `prediction` column; rows are keyed by the dataset's `index`.
 * VLMEvalKit dumps xlsx through pandas + xlsxwriter and csv/tsv through pandas `to_csv` with
 * QUOTE_ALL (`sep='\t'` for tsv), so fields may hold quoted commas, tabs, quotes and newlines (RFC 4180).
 *
 * Cells: text as is; a number as JavaScript writes it (the index cell 0 → "0", 1.5 → "1.5");
 * rich text joined; a formula by its cached result. An empty cell (pandas writes NaN as an empty
 * cell or `""`) is a null prediction, which score treats as an empty answer. `where` is "row N"
 * (the sheet's row number; the header is row 1) for xlsx and "line N" (the record's first line) for csv/tsv.
 */
export async function readVlmevalkitTable(file: string, key: string = DEFAULT_KEYS.vlmevalkit, kind: TableKind = tableKindOf(file)): Promise<PredictionRows> {
  const rows = kind === 'xlsx' ? xlsxRows(file) : kind === 'json' ? jsonRecordRows(file) : delimitedRows(file, kind === 'tsv' ? '\t' : ',');
  let keyAt = -1;
  let predAt = -1;
  let header: readonly string[] | undefined;
  const out = new RowCollector(file, key);
  for await (const row of rows) {
    if (header === undefined) {
      // Header cells other than text (a number column name) are named as written; only key and prediction must match.
      header = row.cells.map((c, i) => headerName(file, row.where, i, c));
      const names = header;
      keyAt = onlyColumn(file, row.where, names, key);
      predAt = onlyColumn(file, row.where, names, 'prediction');
      if (keyAt < 0 || predAt < 0) {
        throw badAt(
          file,
          row.where,
          'header',
          `not a VLMEvalKit result table: columns found ${nameList(names.filter((n) => n !== ''))}; expected "${key}" (the key; --key names another column) and "prediction"`,
        );
      }
      continue;
    }
    // Only the two cells read are converted, so a boolean or date in another column of the dataset is no error.
    const id = cellText(file, row.where, key, row.cells[keyAt]);
    const prediction = cellText(file, row.where, 'prediction', row.cells[predAt]);
    if (id === null) {
      if (prediction === null && row.cells.every((c) => c === null || c === undefined || c === '')) continue;
      throw badAt(file, row.where, key, 'empty key cell');
    }
    out.add({ id, prediction, where: row.where });
  }
  if (header === undefined) throw badAt(file, 0, 'header', `empty table: expected a header row with "${key}" and "prediction"`);
  return { format: 'vlmevalkit', key, rows: out.rows };
}

/** The table kind a file's extension names; csv unless it says xlsx, tsv or json. */
export function tableKindOf(file: string): TableKind {
  const ext = extname(file).toLowerCase();
  return ext === '.xlsx' ? 'xlsx' : ext === '.tsv' ? 'tsv' : ext === '.json' ? 'json' : 'csv';
}

function onlyColumn(file: string, where: Where, names: readonly string[], name: string): number {
  const at = names.indexOf(name);
  if (at >= 0 && names.indexOf(name, at + 1) >= 0) throw badAt(file, where, 'header', `column "${name}" appears twice`);
  return at;
}

async function* delimitedRows(file: string, delimiter: string): AsyncGenerator<TableRow> {
  const { parse } = await import('csv-parse');
  const input = createReadStream(file);
  const parser = parse({ delimiter, bom: true, relax_quotes: true, skip_empty_lines: true, info: true });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let lastLine = 0;
  let lastEmpty = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      // info.lines is the line a record ends on; it starts after the previous record and any blank lines.
      const first = lastLine + 1 + (item.info.empty_lines - lastEmpty);
      lastLine = item.info.lines;
      lastEmpty = item.info.empty_lines;
      yield { where: first, cells: item.record };
    }
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') throw unreadable(file, err);
    throw badAt(file, e.lines !== undefined ? `line ${e.lines}` : 0, 'table', `malformed ${delimiter === '\t' ? 'TSV' : 'CSV'} (${e.message})`);
  } finally {
    input.destroy();
  }
}

/**
 * PRED_FORMAT=json: `dump` writes the DataFrame as `to_dict('records')` through json.dump (indent 4,
 * NaN as a bare NaN token). The header is every key, in first-seen order; `where` is "record N", from 1.
 */
async function* jsonRecordRows(file: string): AsyncGenerator<TableRow> {
  const doc = await readJsonDocument(file);
  if (!Array.isArray(doc)) throw badAt(file, 0, 'file', 'expected a JSON array of records (VLMEvalKit PRED_FORMAT=json)');
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [i, rec] of doc.entries()) {
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw badAt(file, `record ${i + 1}`, 'record', 'expected a JSON object');
    for (const k of Object.keys(rec)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  yield { where: 'header', cells: names };
  for (const [i, rec] of doc.entries()) {
    const r = rec as Record<string, unknown>;
    yield { where: `record ${i + 1}`, cells: names.map((k) => (Object.hasOwn(r, k) ? (r[k] as CellValue) : null)) };
  }
}

async function* xlsxRows(file: string): AsyncGenerator<TableRow> {
  // exceljs words a missing file as a plain Error; stat first so it is the system ENOENT like every other reader's.
  await stat(file).catch((err: unknown) => {
    throw unreadable(file, err);
  });
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.readFile(file);
  } catch (err) {
    throw unreadable(file, err, 'cannot read as xlsx');
  }
  // pandas' to_excel writes one sheet; the first is the table.
  const sheet = book.worksheets[0];
  if (!sheet) throw badAt(file, 0, 'file', 'the workbook has no worksheet');
  const rows: TableRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const where = `row ${rowNumber}`;
    // row.values is 1-based and sparse: index 0 is unused.
    rows.push({ where, cells: Array.from((row.values as CellValue[]).slice(1)) });
  });
  yield* rows;
}

function headerName(file: string, where: Where, at: number, value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && !(value instanceof Date)) return cellText(file, where, `column ${at + 1}`, value) ?? '';
  return String(value);
}

/** A cell as text; null when empty. */
function cellText(file: string, where: Where, column: string, value: CellValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badAt(file, where, column, `non-finite number ${value}`);
    return String(value);
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    if ('richText' in value) return value.richText.map((r) => r.text).join('') || null;
    if ('hyperlink' in value) return value.text === '' ? null : value.text;
    if ('result' in value) return cellText(file, where, column, value.result as CellValue);
    if ('formula' in value || 'sharedFormula' in value) return null;
    if ('error' in value) throw badAt(file, where, column, `spreadsheet error cell ${value.error}`);
  }
  const kind = value instanceof Date ? 'a date' : typeof value === 'boolean' ? `a boolean (${String(value)})` : 'an unsupported cell';
  throw badAt(file, where, column, `${kind}; expected text or a number`);
}
