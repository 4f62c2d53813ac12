/**
 * The DuckDB baseline, first half: read the chat JSONL with read_json, flatten it to the
 * table's columns, write CSV to stdout, which the shell pipes into `psql -c "\copy … from
 * pstdin"`. Usage: node bench/dist/duckdb-export.js FILE [THREADS]
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { CHAT_DUCKDB_COLUMNS, CHAT_DUCKDB_SELECT } from './datasets.js';

const [file, threads] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: duckdb-export.js FILE [THREADS]\n');
  process.exit(2);
}
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const db = await DuckDBInstance.create(':memory:', threads ? { threads } : {});
const conn = await db.connect();
await conn.run(
  `COPY (SELECT ${CHAT_DUCKDB_SELECT} FROM read_json(${literal(file)}, format = 'newline_delimited', columns = ${CHAT_DUCKDB_COLUMNS}))
     TO '/dev/stdout' (FORMAT csv, HEADER false)`,
);
conn.closeSync();
db.closeSync();
