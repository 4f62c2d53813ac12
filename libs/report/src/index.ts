// Public API of @copyfleet/report: run report queries and write CSV / JSON / Arrow files.
export { runReports, type ReportClient, type ReportQuery } from './report.js';
export {
  PgType, assertReportName, writeCsv, writeJson, writeReport,
  type QueryResultLike, type ReportFile, type ReportFormat, type ResultField,
} from './writers.js';
export { documentFileName, writeDocuments } from './documents.js';
export { defaultReports, type ReportPlan } from './default-reports.js';
