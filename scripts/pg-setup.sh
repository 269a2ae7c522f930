#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL, and creates the
# forecastd role (allowed to create the per-test databases) and a database.
# Idempotent and non-interactive; run as root. Prints the URL to export as
# FORECASTD_TEST_DATABASE_URL (and FORECASTD_DATABASE_URL).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >&2
fi
# The newest installed major version (Debian 12 ships 15).
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
	pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
	pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 1 50); do
	su postgres -c "pg_isready -q -p $port" && break
	sleep 0.2
done
psql_pg() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAtc \"$1\""; }
if [ -z "$(psql_pg "SELECT 1 FROM pg_roles WHERE rolname = 'forecastd'")" ]; then
	psql_pg "CREATE ROLE forecastd LOGIN CREATEDB PASSWORD 'forecastd'"
fi
db=${FORECASTD_PG_DB:-forecastd}
if [ -z "$(psql_pg "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
	su postgres -c "createdb -p $port -O forecastd $db"
fi
echo "postgres://forecastd:forecastd@127.0.0.1:$port/$db?sslmode=disable"
