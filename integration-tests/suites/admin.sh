#!/bin/bash
# it-order: 40
# it-budget: 450
# it-build: admin m64 m32
# ashmemctl against a live daemon and real clients (admin/): status, regions and its filters,
# region (mappers with Rss/Pss, memfd holders), purge (then PIN says WAS_PURGED), top, the
# Prometheus metrics, scan of ashmemd regions and of a plain memfd (table and JSON), and leaks:
# a leaking client found, a churning one not, regions mapped by nobody and regions whose opener
# exited (with who still holds them). The real output of status, regions, scan and leaks is
# saved as admin.readme-*.txt for the documentation.
. "$IT_REPO/integration-tests/lib/suite.sh"

CTL=$IT_REPO/target/dist/bin/ashmemctl
METRICS=127.0.0.1:9464
W=$IT_STATE/admin
mkdir -p "$W"

preload_libraries
[ -x "$CTL" ] || { fail ashmemctl "$CTL is missing (build the distribution first)"; it_finish; }

loopback_up

daemon_start --metrics-address "$METRICS" || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock

# ---- helpers ----

declare -A PIDS=() CHILD=()
KB=1024
MB=$((1024 * 1024))

# start NAME ABI PROGRAM ARGS...: runs an admin/ program of ABI through the preload library, in
# the background, output in $W/NAME.out, and waits for its "ready" line ("ready CHILD" gives
# CHILD[NAME]). Records NAME_ready only when it fails.
start() {
	local name=$1 abi=$2 prog=$3
	shift 3
	LD_PRELOAD=${PRELOAD[$abi]} "$IT_BUILD/$abi/admin/$prog" "$@" >"$W/$name.out" 2>&1 &
	PIDS[$name]=$!
	if ! wait_for $((60 * IT_TIME_SCALE)) grep -q '^ready' "$W/$name.out"; then
		fail "${name}_ready" "$abi/$prog $* did not get ready: $(tail -n 3 "$W/$name.out" | tr '\n' ' ')"
		return 1
	fi
	CHILD[$name]=$(awk '/^ready [0-9]+/ { print $2; exit }' "$W/$name.out")
}

stop() { # NAME...: kills what start started (and the child it reported)
	local n
	for n in "$@"; do
		[ -n "${CHILD[$n]:-}" ] && kill -KILL "${CHILD[$n]}" 2>/dev/null
		[ -n "${PIDS[$n]:-}" ] && { kill -KILL "${PIDS[$n]}" 2>/dev/null; wait "${PIDS[$n]}" 2>/dev/null; }
	done
	return 0
}

# ctl OUT ARGS...: ashmemctl ARGS, stdout in $W/OUT, stderr in $W/OUT.err; its exit status.
CTL_SECONDS=0
CTL_RUNS=0
ctl() {
	local out=$1 t0=$EPOCHREALTIME st secs
	shift
	jvm_run_once_more_apart ctl "$W/$out" "$W/$out.err" timeout $((90 * IT_TIME_SCALE)) "$CTL" "$@"
	st=$?
	secs=$(seconds_since "$t0")
	CTL_RUNS=$((CTL_RUNS + 1))
	CTL_SECONDS=$(awk -v s="$CTL_SECONDS" -v d="$secs" 'BEGIN { printf "%.1f", s + d }')
	note "ashmemctl $* -> exit $st after $secs s"
	return $st
}

# readme WHAT OUT COMMAND: keeps the output of a command for the documentation.
readme() { { printf '$ %s\n' "$3"; cat "$W/$2"; } >"$IT_RESULTS/$IT_SUITE.readme-$1.txt"; }

# row OUT FIELD=VALUE...: the first line of a table whose whitespace-separated fields match.
row() {
	local out=$1
	shift
	awk -v spec="$*" '
		BEGIN { n = split(spec, s, " "); for (i = 1; i <= n; i++) { split(s[i], kv, "="); f[kv[1]] = kv[2] } }
		{ for (k in f) if ($k != f[k]) next; print; found = 1; exit }
		END { exit !found }' "$W/$out"
}
# exited OUT STATUS WANT [REGEX]: the run of ashmemctl that wrote OUT exited WANT, and OUT has a
# line matching REGEX.
exited() {
	[ "$2" = "$3" ] && { [ -z "${4:-}" ] || grep -Eq -- "$4" "$W/$1"; } ||
		{ echo "exit $2 (expected $3):"; cat "$W/$1" "$W/$1.err"; return 1; }
}
has_row() { row "$@" >/dev/null || { echo "$1: no line with fields $2${3:+ $3}${4:+ ...}"; cat "$W/$1"; return 1; }; }

# ---- the clients ----

HOLD_SIZE=$MB           # 3 regions, kept mapped
SHARED_SIZE=$((2 * MB)) # mapped by a 32-bit client and its child
PINNED_SIZE=$((512 * KB))
MEMFD_SIZE=$((4 * MB))
start hold m64 holder hold 3 it-hold "$HOLD_SIZE" || it_finish
start shared m32 holder shared it-shared "$SHARED_SIZE" || it_finish
start pinned m64 holder pinned it-pinned "$PINNED_SIZE" || it_finish
start memfd m64 memfd-user it-memfd "$MEMFD_SIZE" || it_finish
HOLD=${PIDS[hold]} SHARED=${PIDS[shared]} SHARED_CHILD=${CHILD[shared]} PINNED=${PIDS[pinned]} MEMFD=${PIDS[memfd]}
info clients "hold $HOLD, shared $SHARED (child $SHARED_CHILD, m32), pinned $PINNED, memfd-user $MEMFD"

# ---- scan: from /proc alone ----

if ctl scan.txt scan; then
	pass scan_exit_0
	readme scan scan.txt "ashmemctl scan"
else
	fail scan_exit_0 "exit $?: $(head -c 300 "$W/scan.txt.err")"
fi
# PID COMM CONTAINER KIND SIZE RSS PSS SWAP MAPS FDS
check scan_table_ashmemd_holder has_row scan.txt 1="$HOLD" 2=holder 3=host 4=ashmemd 5=3.0M 6=3.0M 7=3.0M 9=3 10=3
scan_shared() { # the child holds the device fd and an fd to the memfd
	has_row scan.txt 1="$SHARED" 4=ashmemd 5=2.0M 6=2.0M 7=1.0M 9=1 10=1 &&
		has_row scan.txt 1="$SHARED_CHILD" 4=ashmemd 5=2.0M 6=2.0M 7=1.0M 9=1 10=2
}
check scan_table_shared_pss_halved scan_shared
check scan_table_plain_memfd has_row scan.txt 1="$MEMFD" 2=memfd-user 4=memfd 5=4.0M 6=4.0M 7=4.0M 9=1 10=1
check scan_table_daemon_row has_row scan.txt 1="$(daemon_jvm_pid)" 2=java 3=host 4=ashmemd

scan_json() {
	local p
	p=$(json_find "$W/scan.json" processes pid "$HOLD") || { echo "no process $HOLD in scan --json"; return 1; }
	json_is "$W/scan.json" "$p.comm" holder && json_is "$W/scan.json" "$p.kinds.ashmemd.sizeBytes" $((3 * HOLD_SIZE)) &&
		json_is "$W/scan.json" "$p.kinds.ashmemd.rssBytes" $((3 * HOLD_SIZE)) &&
		json_is "$W/scan.json" "$p.kinds.ashmemd.pssBytes" $((3 * HOLD_SIZE)) &&
		json_is "$W/scan.json" "$p.kinds.ashmemd.mappings" 3 && json_is "$W/scan.json" "$p.kinds.ashmemd.fds" 3 || return 1
	local i names=""
	for i in 0 1 2; do
		json_is "$W/scan.json" "$p.regions.$i.kind" ashmemd && json_is "$W/scan.json" "$p.regions.$i.sizeBytes" "$HOLD_SIZE" || return 1
		names="$names$(json_get "$W/scan.json" "$p.regions.$i.name") "
	done
	# in the order of the process's maps (by address), so any order
	[ "$(tr ' ' '\n' <<<"$names" | sort | tr '\n' ' ')" = " it-hold-0 it-hold-1 it-hold-2 " ] ||
		{ echo "region names: $names"; return 1; }
	p=$(json_find "$W/scan.json" processes pid "$SHARED_CHILD") || { echo "no process $SHARED_CHILD"; return 1; }
	json_is "$W/scan.json" "$p.kinds.ashmemd.rssBytes" "$SHARED_SIZE" && json_is "$W/scan.json" "$p.kinds.ashmemd.pssBytes" $((SHARED_SIZE / 2)) &&
		json_is "$W/scan.json" "$p.regions.0.name" it-shared && json_is "$W/scan.json" "$p.regions.0.fds" 1 &&
		json_is "$W/scan.json" "$p.regions.0.mappings" 1 || return 1
	p=$(json_find "$W/scan.json" processes pid "$MEMFD") || { echo "no process $MEMFD"; return 1; }
	json_is "$W/scan.json" "$p.kinds.memfd.sizeBytes" "$MEMFD_SIZE" && json_is "$W/scan.json" "$p.kinds.memfd.rssBytes" "$MEMFD_SIZE" &&
		json_is "$W/scan.json" "$p.regions.0.kind" memfd && json_is "$W/scan.json" "$p.regions.0.name" it-memfd &&
		json_is "$W/scan.json" "$p.regions.0.fileSizeBytes" "$MEMFD_SIZE" || return 1
	! json_get "$W/scan.json" "$p.kinds.ashmemd.fds" >/dev/null || { echo "memfd-user has ashmemd memory"; return 1; }
}
if ctl scan.json scan --json; then
	json_index "$W/scan.json"
	check scan_json_sizes_rss_pss scan_json
else
	fail scan_json_sizes_rss_pss "exit $?: $(head -c 300 "$W/scan.json.err")"
fi

# ---- regions ----

if ctl regions.txt regions; then
	pass regions_exit_0
	readme regions regions.txt "ashmemctl regions"
else
	fail regions_exit_0 "exit $?: $(head -c 300 "$W/regions.txt.err")"
fi
# ID NAME SIZE RESIDENT UNPINNED PURGED PROT MAPPED PID COMM UID CONTAINER AGE
regions_table() {
	local i
	for i in 0 1 2; do
		has_row regions.txt 2="it-hold-$i" 3=1.0M 4=1.0M 5=0 6=0 7=rwx 8=yes 9="$HOLD" 10=holder 11=0 12=host || return 1
	done
	has_row regions.txt 2=it-shared 3=2.0M 4=2.0M 8=yes 9="$SHARED" 10=holder &&
		has_row regions.txt 2=it-pinned 3=512.0K 4=512.0K 5=256.0K 6=0 9="$PINNED" &&
		grep -q '^5 regions, 5.5M declared, 5.5M resident$' "$W/regions.txt" || { cat "$W/regions.txt"; return 1; }
}
check regions_table_content regions_table
region_id() { awk -v n="$1" 'NR > 1 && $2 == n { print $1; exit }' "$W/regions.txt"; }
ID_SHARED=$(region_id it-shared)
ID_PINNED=$(region_id it-pinned)

# The filters together: the name glob and uid keep all five, sorted by size, largest first.
regions_filtered() {
	awk 'NR > 1 && !/^[0-9]+ regions, / { printf "%s ", $2 }' "$W/regions-filtered.txt" |
		grep -Eqx 'it-shared it-hold-0 it-hold-1 it-hold-2 it-pinned ' &&
		grep -qx '5 regions, 5.5M declared, 5.5M resident' "$W/regions-filtered.txt" || { cat "$W/regions-filtered.txt"; return 1; }
}
ctl regions-filtered.txt regions --name 'it-*' --uid 0 --container host --sort size
check regions_filter_name_uid_container_sort regions_filtered
regions_pid_json() {
	json_is "$W/regions.json" 0.id "$ID_SHARED" && json_is "$W/regions.json" 0.name it-shared && json_is "$W/regions.json" 0.size "$SHARED_SIZE" &&
		json_is "$W/regions.json" 0.mapped true && json_is "$W/regions.json" 0.residentBytes "$SHARED_SIZE" &&
		json_is "$W/regions.json" 0.opener.pid "$SHARED" && json_is "$W/regions.json" 0.opener.processName holder &&
		json_is "$W/regions.json" 0.openerAlive true || return 1
	! json_get "$W/regions.json" 1.id >/dev/null || { echo "more than one region of pid $SHARED"; return 1; }
}
if ctl regions.json regions --pid "$SHARED" --json; then
	json_index "$W/regions.json"
	check regions_filter_pid_json regions_pid_json
else
	fail regions_filter_pid_json "exit $?: $(head -c 300 "$W/regions.json.err")"
fi

# ---- region ID: who maps it (Rss, Pss) and who holds its memfd ----

# MAPPED BY PID COMM CONTAINER MAPS SIZE RSS PSS SWAP, then MEMFD HELD BY PID COMM CONTAINER FDS
region_table() {
	grep -qx "region $ID_SHARED \"it-shared\"" "$W/region.txt" &&
		grep -qx "  size $SHARED_SIZE (2.0M), prot mask rwx, mapped (memfd inode $(json_get "$W/regions.json" 0.inode))" "$W/region.txt" &&
		grep -Eqx "  opened [0-9ms]+ ago by pid $SHARED \(holder, thread $SHARED holder\), uid 0, host" "$W/region.txt" &&
		has_row region.txt 1="$SHARED" 2=holder 3=host 4=1 5=2.0M 6=2.0M 7=1.0M 8=0 &&
		has_row region.txt 1="$SHARED_CHILD" 2=holder 3=host 4=1 5=2.0M 6=2.0M 7=1.0M 8=0 &&
		grep -Eq '^MEMFD HELD BY PID +COMM +CONTAINER +FDS$' "$W/region.txt" &&
		has_row region.txt 1="$SHARED_CHILD" 2=holder 3=host 4=1 || { cat "$W/region.txt"; return 1; }
	[ "$(grep -Ec "^ *($SHARED|$SHARED_CHILD) " "$W/region.txt")" = 3 ] || { echo "other mappers or holders:"; cat "$W/region.txt"; return 1; }
}
if [ -n "$ID_SHARED" ] && ctl region.txt region "$ID_SHARED"; then
	check region_mappers_rss_pss_holders region_table
else
	fail region_mappers_rss_pss_holders "region ${ID_SHARED:-?} failed: $(head -c 300 "$W/region.txt.err")"
fi

# ---- purge, status (which shows it), then PIN says WAS_PURGED ----

if ctl purge.txt purge; then
	check purge_frees_the_unpinned_half grep -qx "purged $((PINNED_SIZE / 2 / 4096)) pages (256.0K)" "$W/purge.txt"
else
	fail purge_frees_the_unpinned_half "exit $?: $(head -c 300 "$W/purge.txt.err")"
fi

if ctl status.txt status; then
	pass status_exit_0
	readme status status.txt "ashmemctl status"
else
	fail status_exit_0 "exit $?: $(head -c 300 "$W/status.txt.err")"
fi
status_table() {
	local dev kernel
	dev=$(cat "/sys/class/cuse/$ASHMEMD_DEVICE/dev")
	kernel=$(uname -r | sed 's/[][\\.*^$+?(){}|]/\\&/g') # a regex of the text: 6.12.118+deb12-amd64 has a "+"
	grep -Eqx "ashmemd [^ ]+, pid $(daemon_jvm_pid), up [0-9ms]+, kernel $kernel" "$W/status.txt" &&
		grep -qx "device   /dev/$ASHMEMD_DEVICE (char $dev)" "$W/status.txt" &&
		grep -qx "regions  5 (5 mapped)" "$W/status.txt" &&
		grep -Eqx "memory   size 5.5M, resident 5.[23]M, unpinned 256.0K, purged 256.0K \(purged since start 256.0K\)" "$W/status.txt" &&
		grep -Eq "^broker   $ASHMEMD_RUNTIME_DIR/broker.sock: 5 granted, 0 refused, 0 malformed, 0 timed out" "$W/status.txt" &&
		grep -q '^pressure trigger "some 200ms 2s": [0-9]* events' "$W/status.txt" &&
		grep -Eq '^limits   per uid 16384 regions / 16.0G, per container 65536 regions / 64.0G; 0 opens refused$' "$W/status.txt" &&
		has_row status.txt 1=OPEN 2=5 3=0 && has_row status.txt 1=SET_SIZE 2=5 3=0 && has_row status.txt 1=UNPIN ||
		{ cat "$W/status.txt"; return 1; }
}
check status_table_content status_table

kill -USR1 "$PINNED"
wait "$PINNED"
st=$?
pin_result() {
	[ "$st" = 0 ] && grep -qx 'pin WAS_PURGED head=64/64 tail=64/64' "$W/pinned.out" ||
		{ echo "holder pinned exited $st:"; cat "$W/pinned.out"; return 1; }
}
check pin_after_purge_was_purged pin_result
unset 'PIDS[pinned]'

# ---- top, metrics (hold 3 + shared 1 regions now) ----

# PID COMM CONTAINER REGIONS SIZE RESIDENT UNPINNED GROWTH
top_table() {
	grep -Eq '^ashmemctl top - [0-9]{2}:[0-9]{2}:[0-9]{2} - 4 regions, 5.0M declared, 5.0M resident, sorted by resident$' "$W/top.txt" &&
		has_row top.txt 1="$HOLD" 2=holder 3=host 4=3 5=3.0M 6=3.0M 7=0 8=+0 &&
		has_row top.txt 1="$SHARED" 2=holder 3=host 4=1 5=2.0M 6=2.0M || { cat -v "$W/top.txt"; return 1; }
	# rows by resident, largest first
	[ "$(awk '$2 == "holder" { print $1; exit }' "$W/top.txt")" = "$HOLD" ] || { echo "not sorted by resident"; return 1; }
}
if ctl top.txt top -n 1; then
	sed -i 's/\x1b\[H\x1b\[2J//' "$W/top.txt"
	check top_one_refresh top_table
else
	fail top_one_refresh "exit $?: $(head -c 300 "$W/top.txt.err")"
fi

# Any HTTP client the host root has; bash alone otherwise.
metrics() {
	grep -Eq '^ashmemd_regions 4(\.0)?$' "$W/metrics.txt" || { grep '^ashmemd_regions' "$W/metrics.txt"; echo "ashmemd_regions is not 4"; return 1; }
	grep -Eq '^ashmemd_mapped_regions 4(\.0)?$' "$W/metrics.txt" || { echo "ashmemd_mapped_regions is not 4"; return 1; }
	grep -Eq '^ashmemd_request_duration_seconds_bucket\{.*operation="OPEN".*\} [0-9]' "$W/metrics.txt" ||
		{ echo "no OPEN latency buckets"; grep -m 5 request_duration "$W/metrics.txt"; return 1; }
	local count inf
	count=$(awk '/^ashmemd_request_duration_seconds_count\{.*operation="OPEN"/ { print $NF }' "$W/metrics.txt")
	inf=$(awk '/^ashmemd_request_duration_seconds_bucket\{.*operation="OPEN"/ && /le="\+Inf"/ { print $NF }' "$W/metrics.txt")
	awk -v c="$count" -v i="$inf" 'BEGIN { exit !(c + 0 >= 5 && c + 0 == i + 0) }' ||
		{ echo "OPEN: count ${count:-missing}, +Inf bucket ${inf:-missing}"; return 1; }
	grep -Eq '^ashmemd_purged_pages_total\{cause="admin"\} 64(\.0)?$' "$W/metrics.txt" &&
		grep -Eq '^ashmemd_region_bytes\{state="size"\} 5242880(\.0)?$' "$W/metrics.txt" &&
		grep -Eq '^ashmemd_pressure_watching 1(\.0)?$' "$W/metrics.txt" ||
		{ echo "purged pages, region bytes or pressure series wrong:"; grep -E '^ashmemd_(purged|region_bytes|pressure)' "$W/metrics.txt"; return 1; }
}
if http_get "$METRICS" /metrics >"$W/metrics.txt" 2>"$W/metrics.err"; then
	check metrics_scrape metrics
	cp "$W/metrics.txt" "$IT_RESULTS/$IT_SUITE.metrics.txt"
else
	fail metrics_scrape "GET http://$METRICS/metrics failed: $(head -c 300 "$W/metrics.err")"
fi

# ---- leaks ----

# Thresholds that a 200 ms leak of 128 KiB regions passes in 3 samples 2 s apart, and that a
# churn of one 64 KiB region never reaches.
LEAK_ARGS=(--interval 2s --samples 3 --min-growth 2M --min-count-growth 6)
start churn m64 holder churn 100 it-churn $((64 * KB)) || it_finish
CHURN=${PIDS[churn]}
ctl leaks-churn.txt leaks "${LEAK_ARGS[@]}"
check leaks_churn_alone_not_flagged exited leaks-churn.txt $? 0 '^no leaks found \(3 samples over'

# Now everything at once, next to the churn: a leak, regions never mapped, and a region whose
# opener exited while its child keeps it mapped and holds its memfd.
start leak m64 holder leak 200 it-leak $((128 * KB)) || it_finish
start unmapped m64 holder unmapped 2 it-unmapped $((64 * KB)) || it_finish
start orphan m64 holder orphan it-orphan $((256 * KB)) || it_finish
wait "${PIDS[orphan]}"
LEAK=${PIDS[leak]} UNMAPPED=${PIDS[unmapped]} ORPHAN_OPENER=${PIDS[orphan]} ORPHAN_CHILD=${CHILD[orphan]}
unset 'PIDS[orphan]'
UNMAPPED_FOR=2s # the never mapped regions are older than that by the last sample
ctl leaks.txt leaks "${LEAK_ARGS[@]}" --unmapped-for $UNMAPPED_FOR
st=$?
readme leaks leaks.txt "ashmemctl leaks ${LEAK_ARGS[*]} --unmapped-for $UNMAPPED_FOR"
leaks_exit() { exited leaks.txt "$st" 1 '^[0-9]+ leaks found \(3 samples over [0-9.]+s, from /proc and the daemon\)$'; }
check leaks_exit_1 leaks_exit
# PID COMM CONTAINER REGIONS BYTES; KIND NAME FROM REGIONS BYTES
leaks_growth() {
	grep -qx 'Processes whose ashmem memory only grew:' "$W/leaks.txt" && has_row leaks.txt 1="$LEAK" 2=holder 3=host &&
		grep -qx 'Region names whose count or size only grew:' "$W/leaks.txt" && has_row leaks.txt 1=ashmemd 2=it-leak 3=daemon ||
		{ cat "$W/leaks.txt"; return 1; }
	! grep -Eq "it-churn|^ *$CHURN " "$W/leaks.txt" || { echo "the churning client was flagged too:"; cat "$W/leaks.txt"; return 1; }
}
check leaks_finds_leaking_client_not_churning_one leaks_growth
# Each leaked region is one device fd and one mapping: the last count of the process's regions
# cannot exceed its device fds counted afterwards (the leak only grows).
device_fds_after=$(find "/proc/$LEAK/fd" -lname "/dev/$ASHMEMD_DEVICE" 2>/dev/null | wc -l)
leaks_count() {
	local r
	r=$(row leaks.txt 1="$LEAK" 2=holder) || { echo "no row for $LEAK"; return 1; }
	set -- $r # PID COMM CONTAINER FROM -> TO (+N) ...
	[ "$6" -le "$device_fds_after" ] ||
		{ echo "process $LEAK: $6 regions at the last sample, but only $device_fds_after device fds (and as many mappings) afterwards: $r"; return 1; }
}
check leaks_process_region_count leaks_count
# ID NAME SIZE AGE STATE(2 words) OPENER(pid comm)
leaks_unmapped() {
	grep -qx "Regions mapped by nobody for at least $UNMAPPED_FOR:" "$W/leaks.txt" &&
		has_row leaks.txt 2=it-unmapped-0 3=64.0K 5=never 6=mapped 7="$UNMAPPED" 8=holder &&
		has_row leaks.txt 2=it-unmapped-1 3=64.0K 5=never 6=mapped 7="$UNMAPPED" 8=holder || { cat "$W/leaks.txt"; return 1; }
	! grep -Eq ' (it-hold-[0-9]|it-shared|it-leak|it-orphan) .*mapped ' "$W/leaks.txt" ||
		{ echo "a mapped region was reported as mapped by nobody:"; cat "$W/leaks.txt"; return 1; }
}
check leaks_regions_mapped_by_nobody leaks_unmapped
# ID NAME SIZE AGE OPENER(pid comm exited) HELD BY(pid comm) MAPPED BY(pid comm)
leaks_orphan() {
	grep -qx 'Regions whose opener has exited, still held:' "$W/leaks.txt" &&
		has_row leaks.txt 2=it-orphan 3=256.0K 5="$ORPHAN_OPENER" 6=holder 7=exited 8="$ORPHAN_CHILD" 9=holder \
			10="$ORPHAN_CHILD" 11=holder || { cat "$W/leaks.txt"; return 1; }
}
check leaks_opener_gone_and_who_holds leaks_orphan
stop leak churn

info ashmemctl_runs "$CTL_RUNS runs of ashmemctl took $CTL_SECONDS s in all"
stop hold shared memfd unmapped orphan
daemon_check_alive daemon_survives
daemon_stop
it_finish
