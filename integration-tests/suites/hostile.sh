#!/bin/bash
# it-order: 45
# it-budget: 600
# it-build: hostile m64 m32
# What an unprivileged client (uid 65534) can throw at the daemon's bookkeeping and at the
# administrator's terminal (hostile/hostile.c, 64- and 32-bit): 40,000 distinct unknown ioctl
# numbers, each answered ENOTTY, after which `ashmemctl status` answers in bounded time, its
# request table stays as small as the daemon's list of operations and the daemon's heap and RSS
# do not grow with the numbers; a process whose comm and region names hold ESC sequences,
# newline, CR, DEL, invalid UTF-8 and U+202E, refused by the per-uid cap, after which the daemon
# log and every ashmemctl output (status, regions, region ID, scan, leaks, tables and --json)
# hold no raw control character, the tables stay aligned and the JSON parses and is exact.
. "$IT_REPO/integration-tests/lib/suite.sh"

CTL=$IT_REPO/target/dist/bin/ashmemctl
HOSTILE_UID=65534
CAP=8                # --max-regions-per-uid: the names client runs into it
FLOOD=20000          # distinct unknown ioctl numbers per ABI
HEAP_TOLERANCE=$((4 * 1024 * 1024))  # 40,000 counter entries took about 12 MiB of heap
RSS_TOLERANCE_KB=$((64 * 1024))      # RSS also moves with JIT and GC: a coarse bound
W=$IT_STATE/hostile
mkdir -p "$W"

preload_libraries
[ -x "$CTL" ] || { fail ashmemctl "$CTL is missing (build the distribution first)"; it_finish; }

daemon_start --max-regions-per-uid "$CAP" || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
JVM=$(daemon_jvm_pid)

# ctl OUT ARGS...: ashmemctl ARGS, stdout in $W/OUT, stderr in $W/OUT.err; its exit status.
# CTL_SECS is how long it took.
ctl() {
	local out=$1 t0=$EPOCHREALTIME st
	shift
	timeout $((300 * IT_TIME_SCALE)) "$CTL" "$@" >"$W/$out" 2>"$W/$out.err"
	st=$?
	CTL_SECS=$(seconds_since "$t0")
	note "ashmemctl $* -> exit $st after $CTL_SECS s"
	return $st
}

# clean FILE: no raw C0 control but line feed, no DEL, no C1 control (UTF-8 C2 80..9F), no bidi
# embedding, override or isolate (U+202A..U+202E, U+2066..U+2069). Prints the first offender.
DIRTY='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]'
clean() {
	local hit
	if hit=$(LC_ALL=C grep -aboP -m 1 "$DIRTY" "$1"); then
		echo "$(basename "$1"): raw control byte(s) at offset ${hit%%:*}:"
		LC_ALL=C grep -anP -m 1 "$DIRTY" "$1" | head -c 300 | od -c | head -n 8
		return 1
	fi
}

json_ok() { # NAME OUT: the --json output OUT parses
	if json_parses "$W/$2" 2>"$W/$2.parse"; then
		pass "$1"
	else
		fail "$1" "$2 does not parse: $(head -c 200 "$W/$2.parse")"
	fi
}

# ---- the flood of distinct unknown ioctl numbers ----

probe_jvm_attach "$JVM"
ctl status-idle.txt status # the admin path warmed up before the baseline
info status_idle "ashmemctl status took $CTL_SECS s before the flood"
probe_all "$JVM"
HEAP0=$HEAP_USED_BYTES RSS0=$P_RSS_KB
info baseline "heap_used=${HEAP0:-n/a} rss_kb=$RSS0 (heap: $HEAP_METHOD)"

first=0
for abi in m64 m32; do
	t0=$EPOCHREALTIME
	out=$(timeout $((300 * IT_TIME_SCALE)) "$IT_BUILD/$abi/hostile/hostile" flood "$HOSTILE_UID" "$first" "$FLOOD" 2>&1)
	st=$?
	secs=$(seconds_since "$t0")
	if [ "$st" = 0 ] && grep -qx "flood $FLOOD enotty $FLOOD other 0" <<<"$out"; then
		pass "$abi/flood_every_unknown_ioctl_enotty"
		info "$abi/flood" "$FLOOD distinct unknown ioctl numbers as uid $HOSTILE_UID in $secs s"
	else
		fail "$abi/flood_every_unknown_ioctl_enotty" "exit $st: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	fi
	first=$((first + FLOOD))
done
daemon_check_alive daemon_survives_flood

if ctl status.txt status; then
	pass status_after_flood_exit_0
	info status_after_flood "ashmemctl status took $CTL_SECS s, $(wc -c <"$W/status.txt") bytes"
else
	fail status_after_flood_exit_0 "exit $?: $(head -c 300 "$W/status.txt.err")"
fi
STATUS_SECS=$CTL_SECS
# idle it takes about 11 s under TCG (JVM start); 40,000 table rows took many minutes
check status_after_flood_in_bounded_time awk -v s="$STATUS_SECS" -v m=$((90 * IT_TIME_SCALE)) 'BEGIN { exit !(s < m) }'
status_table() {
	grep -Eq '^UNKNOWN_IOCTL +[0-9]+ +[0-9]+$' "$W/status.txt" || { echo "no UNKNOWN_IOCTL row"; cat "$W/status.txt"; return 1; }
	local rows
	rows=$(grep -Ec '^[A-Z_]+ +[0-9]+ +[0-9]+$' "$W/status.txt")
	[ "$rows" -le 24 ] || { echo "$rows operation rows: the table grew with the numbers"; return 1; }
	! grep -Eq '^0x[0-9a-f]+ ' "$W/status.txt" || { echo "an ioctl number has a row of its own"; return 1; }
}
check status_table_one_bucket_for_unknown_ioctls status_table

if ctl status.json status --json; then
	info status_json_after_flood "ashmemctl status --json took $CTL_SECS s, $(wc -c <"$W/status.json") bytes"
	check status_json_in_bounded_time awk -v s="$CTL_SECS" -v m=$((90 * IT_TIME_SCALE)) 'BEGIN { exit !(s < m) }'
	json_ok status_json_parses status.json
	json_index "$W/status.json"
	status_json() {
		local n e keys
		n=$(json_get "$W/status.json" requests.UNKNOWN_IOCTL) || { echo "no requests.UNKNOWN_IOCTL"; return 1; }
		e=$(json_get "$W/status.json" "errors.UNKNOWN_IOCTL ENOTTY") || { echo "no errors.UNKNOWN_IOCTL ENOTTY"; return 1; }
		[ "$n" -ge $((2 * FLOOD)) ] && [ "$e" -ge $((2 * FLOOD)) ] || { echo "UNKNOWN_IOCTL: $n requests, $e ENOTTY"; return 1; }
		keys=$(grep -Ec '^(requests|errors)\.' "$W/status.json.paths")
		[ "$keys" -le 64 ] || { echo "$keys request and error keys after the flood"; return 1; }
	}
	check status_json_counts_bounded status_json
else
	fail status_json_in_bounded_time "exit $?: $(head -c 300 "$W/status.json.err")"
fi

probe_all "$JVM"
HEAP1=$HEAP_USED_BYTES RSS1=$P_RSS_KB
info after_flood "heap_used=${HEAP1:-n/a} rss_kb=$RSS1 (heap: $HEAP_METHOD)"
if [ -n "$HEAP0" ] && [ -n "$HEAP1" ]; then
	check heap_bounded_after_flood test $((HEAP1 - HEAP0)) -le "$HEAP_TOLERANCE"
else
	skip heap_bounded_after_flood "no heap figure: $HEAP_METHOD"
fi
check rss_bounded_after_flood test $((RSS1 - RSS0)) -le "$RSS_TOLERANCE_KB"

# ---- hostile comm and region names, refused by the per-uid cap ----

LD_PRELOAD=${PRELOAD[m64]} "$IT_BUILD/m64/hostile/hostile" names "$HOSTILE_UID" >"$W/names.out" 2>&1 &
NAMES=$!
if ! wait_for $((120 * IT_TIME_SCALE)) grep -q '^ready' "$W/names.out"; then
	fail names_client_ready "$(tail -n 3 "$W/names.out" | tr '\n' ' ')"
	kill -KILL "$NAMES" 2>/dev/null
	it_finish
fi
check names_client_refused_at_the_cap grep -qx "ready $CAP EMFILE" "$W/names.out"

# The escaped forms the outputs must show. Region 0's name: ESC [2J, ESC ]0;owned BEL, newline,
# CR, DEL, the invalid sequence C3 28, FF, U+202E, and a literal backslash.
NAME0_SHOWN='evil0\x1b[2J\x1b]0;owned\x07\nFORGED LINE\r\x7f\xc3(\xff\u202etxt.exe\\x1b'
NAME0_HEX=$("$IT_BUILD/m64/hostile/hostile" name 0)
COMM_SHOWN='\x1b[31m\n\r\x7f' # then the invalid byte (U+FFFD), then FORGED

log_line() {
	local refusal
	refusal=$(grep -a 'refused with EMFILE' "$DAEMON_LOG") || { echo "no refusal in the daemon log"; return 1; }
	[ "$(wc -l <<<"$refusal")" = 1 ] || { echo "more than one refusal line:"; echo "$refusal"; return 1; }
	grep -qF "($COMM_SHOWN" <<<"$refusal" && grep -q 'FORGED) refused with EMFILE' <<<"$refusal" ||
		{ echo "the refusal does not show the escaped comm: $refusal"; return 1; }
	! grep -aq '^FORGED' "$DAEMON_LOG" || { echo "a forged line in the log"; return 1; }
}
check log_refusal_one_line_escaped log_line
check log_no_raw_control_bytes clean "$DAEMON_LOG"

# Every table row of `regions` (header to summary) ends in the same column: the right-aligned
# AGE. Multi-byte characters (U+FFFD, or '?' without a UTF-8 locale) count as one column.
aligned() {
	LC_ALL=C sed 's/[\xc0-\xf7][\x80-\xbf]*/?/g' "$W/$1" |
		awk '/^[0-9]+ regions, / { exit } { n[length($0)]++ } END { for (l in n) k++; exit k != 1 }' ||
		{ echo "$1: rows of different widths:"; LC_ALL=C awk '{ print length($0) }' "$W/$1" | sort | uniq -c; return 1; }
}

if ctl regions.txt regions; then
	pass regions_exit_0
	check regions_no_raw_control_bytes clean "$W/regions.txt"
	check regions_name_escaped grep -qF "$NAME0_SHOWN" "$W/regions.txt"
	check regions_comm_escaped grep -qF "$COMM_SHOWN" "$W/regions.txt"
	check regions_table_aligned aligned regions.txt
	check regions_count grep -qx "$CAP regions, 32.0K declared, 4.0K resident" "$W/regions.txt"
else
	fail regions_exit_0 "exit $?: $(head -c 300 "$W/regions.txt.err")"
fi

if ctl regions.json regions --json; then
	check regions_json_no_raw_control_bytes clean "$W/regions.json"
	json_ok regions_json_parses regions.json
	json_index "$W/regions.json"
	ID0=""
	for i in $(seq 0 $((CAP - 1))); do
		[ "$(json_get "$W/regions.json" "$i.nameHex" 2>/dev/null)" = "$NAME0_HEX" ] && { ID0=$(json_get "$W/regions.json" "$i.id"); break; }
	done
	check regions_json_name_bytes_exact test -n "$ID0"
	exact() { # the name is the bytes decoded with U+FFFD, every control character kept exactly
		python3 - "$W/regions.json" "$NAME0_HEX" <<-'EOF'
			import json, sys
			regions = json.load(open(sys.argv[1], encoding="utf-8"))
			raw = bytes.fromhex(sys.argv[2])
			r = [x for x in regions if x.get("nameHex") == sys.argv[2]]
			assert r, "no region with the name's bytes"
			want = raw.decode("utf-8", "replace")
			assert r[0]["name"] == want, "name %r, expected %r" % (r[0]["name"], want)
			comm = r[0]["opener"]["processName"]
			assert comm.startswith("\x1b[31m\n\r\x7f") and comm.endswith("FORGED"), "comm %r" % comm
			assert all("nameHex" not in x or x["nameHex"] for x in regions)
		EOF
	}
	check regions_json_name_and_comm_exact exact
else
	fail regions_json_no_raw_control_bytes "exit $?: $(head -c 300 "$W/regions.json.err")"
fi

if [ -n "${ID0:-}" ] && ctl region.txt region "$ID0"; then
	check region_no_raw_control_bytes clean "$W/region.txt"
	check region_header_escaped grep -qxF "region $ID0 \"$NAME0_SHOWN\"" "$W/region.txt"
	check region_opener_escaped grep -qF "($COMM_SHOWN" "$W/region.txt"
	ctl region.json region "$ID0" --json
	check region_json_no_raw_control_bytes clean "$W/region.json"
	json_ok region_json_parses region.json
else
	fail region_no_raw_control_bytes "region ${ID0:-?} failed: $(head -c 300 "$W/region.txt.err" 2>/dev/null)"
fi

if ctl scan.txt scan; then
	check scan_no_raw_control_bytes clean "$W/scan.txt"
	check scan_lists_the_hostile_process grep -Eq "^ *$NAMES +.*FORGED" "$W/scan.txt"
	ctl scan.json scan --json
	check scan_json_no_raw_control_bytes clean "$W/scan.json"
	json_ok scan_json_parses scan.json
else
	fail scan_no_raw_control_bytes "exit $?: $(head -c 300 "$W/scan.txt.err")"
fi

# leaks: the never mapped regions of the hostile client, with their names, in a table
ctl leaks.txt leaks --interval 1s --samples 2 --unmapped-for 0s
st=$?
leaks_found() { [ "$st" = 1 ] && grep -q 'Regions mapped by nobody' "$W/leaks.txt" || { echo "exit $st"; cat "$W/leaks.txt"; return 1; }; }
check leaks_reports_the_unmapped_regions leaks_found
check leaks_no_raw_control_bytes clean "$W/leaks.txt"
check leaks_stderr_no_raw_control_bytes clean "$W/leaks.txt.err"
ctl leaks.json leaks --interval 1s --samples 2 --unmapped-for 0s --json
check leaks_json_no_raw_control_bytes clean "$W/leaks.json"
json_ok leaks_json_parses leaks.json

if ctl status-names.txt status; then
	check status_no_raw_control_bytes clean "$W/status-names.txt"
	check status_counts_the_refusal grep -Eq '; 1 opens refused$' "$W/status-names.txt"
else
	fail status_no_raw_control_bytes "exit $?: $(head -c 300 "$W/status-names.txt.err")"
fi

kill -KILL "$NAMES" 2>/dev/null
wait "$NAMES" 2>/dev/null
check log_no_raw_control_bytes_at_the_end clean "$DAEMON_LOG"
daemon_check_alive daemon_survives
daemon_stop
it_finish
