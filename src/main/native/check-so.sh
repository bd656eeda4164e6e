#!/bin/sh
# Fails unless the library loads under both glibc and bionic: no NEEDED entry, no version
# information, no text relocations, no undefined symbol except the weak errno accessors, and
# exactly the expected exports.
# usage: check-so.sh LIB EXPORT...
set -eu
so=$1
name=${so%.tmp}
shift
READELF=${READELF:-readelf}
fail() {
	echo "check-so: $name: $*" >&2
	exit 1
}

dyn=$($READELF -d -W "$so")
if echo "$dyn" | grep -q '(NEEDED)'; then fail "has NEEDED entries"; fi
if echo "$dyn" | grep -q -E '\((TEXTREL|VERNEED|VERNEEDNUM|VERDEF|VERDEFNUM|VERSYM)\)'; then
	fail "has text relocations or version tags"
fi
if echo "$dyn" | grep -E '\(FLAGS\)' | grep -q TEXTREL; then fail "has text relocations"; fi
$READELF -V -W "$so" | grep -q 'No version information found' || fail "has version sections"

# Num: Value Size Type Bind Vis Ndx Name
syms=$($READELF --dyn-syms -W "$so" | awk '$1 ~ /^[0-9]+:$/ && NF >= 8 { print $5, $6, $7, $8 }')
if echo "$syms" | grep -q '@'; then fail "has versioned symbols"; fi
bad=$(echo "$syms" | awk '$3 == "UND" && !($1 == "WEAK" && ($4 == "__errno_location" || $4 == "__errno")) { print $4 }')
[ -z "$bad" ] || fail "undefined symbols: $(echo $bad)"

exported=$(echo "$syms" | awk '$3 != "UND" && $2 == "DEFAULT" && ($1 == "GLOBAL" || $1 == "WEAK") { print $4 }' | sort -u)
expected=$(for s in "$@"; do echo "$s"; done | sort -u)
[ "$exported" = "$expected" ] || fail "exports differ from the list:
$(printf '%s\n' "$exported" > "$so.exports"; printf '%s\n' "$expected" | diff - "$so.exports" || true)"
rm -f "$so.exports"
echo "check-so: $name: ok ($(echo "$exported" | wc -l) exports, no NEEDED, no versions)"
