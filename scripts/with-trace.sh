#!/usr/bin/env bash
# `make load ... TRACE=1`: run a command with tracing on. The processes get the telemetry
# preload (NODE_OPTIONS --import, as a file URL so a path with spaces survives), and — when
# no OTEL_EXPORTER_OTLP_ENDPOINT is configured — a local OTLP/HTTP receiver on 127.0.0.1
# writes every span to .data/traces/spans.jsonl for as long as the command runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
register=$(node -e 'console.log(require("url").pathToFileURL(require("path").resolve("libs/telemetry/dist/register.js")).href)')
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--import=$register"
export OTEL_EXPORTER_OTLP_PROTOCOL="${OTEL_EXPORTER_OTLP_PROTOCOL:-http/json}"
receiver=""
if [[ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]]; then
  mkdir -p .data/traces
  port="${TRACE_PORT:-4318}"
  NODE_OPTIONS="" node libs/telemetry/dist/trace-receiver.js --port "$port" --out .data/traces/spans.jsonl &
  receiver=$!
  trap '[[ -n "$receiver" ]] && kill "$receiver" 2>/dev/null || true' EXIT
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port"
  sleep 0.3
  echo "trace: spans go to .data/traces/spans.jsonl (receiver on 127.0.0.1:$port)" >&2
fi
"$@"
