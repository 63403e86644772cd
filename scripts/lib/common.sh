# shellcheck shell=bash
# Shared settings and helpers for scripts/provision, scripts/services and scripts/test.
# Sourced, never run. Everything here is cheap: no installs, no network.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Outside the clone, so CI's fresh clones reuse what an earlier run built or unpacked.
CACHE="${ARCHIVE_CACHE_DIR:-$HOME/.cache/records-archive}"

VERSITYGW_VERSION="v1.8.0"
VERSITYGW_MODULE="github.com/versity/versitygw/cmd/versitygw"
ES_VERSION="8.19.21"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
ES_ZIP="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/${ES_VERSION}/elasticsearch-${ES_VERSION}.zip"
# Elasticsearch refuses to run as root; this system user runs it when we are root.
ES_USER="archive-es"
PG_BIN="${ARCHIVE_PG_BIN:-/usr/lib/postgresql/15/bin}"
# eark-validator, the E-ARK package validator the transfer tests run (its own virtualenv).
EARK_VALIDATOR_VERSION="1.1.3"
VENV="$ROOT/.venv"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Go may be installed outside PATH (the official tarball goes to /usr/local/go).
add_go_to_path() {
    if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    fi
}

# The Elasticsearch install must be readable by $ES_USER; $HOME is often mode 700 for
# root, so in that case it goes to a shared cache directory instead of $CACHE.
es_parent_dir() {
    if [ -n "${ARCHIVE_ES_DIR:-}" ]; then
        echo "$ARCHIVE_ES_DIR"
    elif is_root && ! es_user_can_enter "$CACHE"; then
        echo "/var/cache/records-archive"
    else
        echo "$CACHE"
    fi
}

es_home() { echo "$(es_parent_dir)/elasticsearch-${ES_VERSION}"; }

# True when every directory on the way to $1 lets others traverse it.
es_user_can_enter() {
    local dir="$1"
    while [ "$dir" != "/" ] && [ -n "$dir" ]; do
        if [ -d "$dir" ] && [ "$(( 0$(stat -c '%a' "$dir") & 1 ))" -eq 0 ]; then
            return 1
        fi
        dir="$(dirname "$dir")"
    done
    return 0
}

# Java 17 is what Elasticsearch 8.19 is tested with; Temurin 25 is the fallback.
es_java_home() {
    local candidate
    for candidate in "${ES_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 \
        /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/default-java; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

python_for_scripts() {
    if [ -x "$VENV/bin/python" ]; then echo "$VENV/bin/python"; else echo python3; fi
}

# Prints seconds since the epoch with millisecond precision, for the timing summary.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
