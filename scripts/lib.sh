# shellcheck shell=bash
# Small helpers shared by the repo's shell scripts. Source it; it does not run anything.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Repo root = parent of the directory holding this file.
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

log()  { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# mask_url URL -> URL with any password replaced by ***  (scheme://user:secret@host -> scheme://user:***@host)
mask_url() {
  printf '%s' "$1" | sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^/]*@#\1:***@#'
}

# version_ge A B -> true when dotted version A >= B (numeric parts only).
version_ge() {
  local -a a b
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  local i x y
  for ((i = 0; i < ${#a[@]} || i < ${#b[@]}; i++)); do
    x="${a[i]:-0}"; y="${b[i]:-0}"
    x="${x%%[!0-9]*}"; y="${y%%[!0-9]*}"
    ((10#${x:-0} > 10#${y:-0})) && return 0
    ((10#${x:-0} < 10#${y:-0})) && return 1
  done
  return 0
}

# dotenv_read FILE: print "KEY<TAB>VALUE" for each simple KEY=VALUE line (no expansion, no eval).
# Accepts an optional leading "export ", strips one pair of matching surrounding quotes,
# drops " #comment" after an unquoted value. Comments and other lines are ignored.
dotenv_read() {
  local file="$1" line key val
  [[ -f "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"; val="${BASH_REMATCH[3]}"
    if [[ "$val" =~ ^\"(.*)\"[[:space:]]*(#.*)?$ ]] || [[ "$val" =~ ^\'(.*)\'[[:space:]]*(#.*)?$ ]]; then
      val="${BASH_REMATCH[1]}"
    else
      val="${val%%[[:space:]]#*}"
      val="${val%"${val##*[![:space:]]}"}"
    fi
    printf '%s\t%s\n' "$key" "$val"
  done <"$file"
}

# dotenv_load FILE: export each KEY from FILE unless it is already set (non-empty) in the environment.
dotenv_load() {
  local key val
  while IFS=$'\t' read -r key val; do
    [[ -n "${!key:-}" ]] && continue
    export "$key=$val"
  done < <(dotenv_read "$1")
}

# dotenv_get FILE KEY: print the last value of KEY in FILE (empty if absent).
dotenv_get() {
  local key val out=""
  while IFS=$'\t' read -r key val; do
    [[ "$key" == "$2" ]] && out="$val"
  done < <(dotenv_read "$1")
  printf '%s' "$out"
}

# dotenv_set FILE KEY VALUE: set KEY=VALUE in FILE, keeping every other line as it is.
# Replaces the first KEY= line (with or without "export "), drops later duplicates, appends if absent.
# Rewrites in place (keeps the file's mode) and only when something changes.
dotenv_set() {
  local file="$1" key="$2" value="$3" tmp
  if [[ -f "$file" ]] && [[ "$(dotenv_get "$file" "$key")" == "$value" ]] &&
    [[ "$(grep -cE "^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=" "$file")" == 1 ]]; then
    return 0
  fi
  tmp="$(mktemp "${file}.XXXXXX")"
  if [[ -f "$file" ]]; then
    DOTENV_KEY="$key" DOTENV_VALUE="$value" awk '
      BEGIN { k = ENVIRON["DOTENV_KEY"]; v = ENVIRON["DOTENV_VALUE"]; done = 0
              re = "^[[:space:]]*(export[[:space:]]+)?" k "[[:space:]]*=" }
      $0 ~ re { if (!done) { print k "=" v; done = 1 } ; next }
      { print }
      END { if (!done) print k "=" v }' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
  else
    printf '%s=%s\n' "$key" "$value" >"$tmp"
    mv "$tmp" "$file"
  fi
}
