# Sourced (from the repository root) by the scripts that start a forecastd
# of their own: a temporary directory in $tmp, and the server's pid in
# $pid once they start it; on exit the server is stopped and the directory
# removed, however the script ends.
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
