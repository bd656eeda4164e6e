#!/bin/bash
# it-order: 92
# it-budget: 900
# it-default: no
# The daemon's start-up under TCG, with and without its class-data-sharing archive
# (lib/ashmemd.jsa, made by `mvn package`): STARTUP_RUNS starts of each (3 by default),
# alternating, each timed from the exec of bin/ashmemd to its "ready" line and to the first
# answers of a client that waited for it (OPEN, then the SET_SIZE and GET_SIZE ioctls). A start
# "without" overrides the archive with the JDK's own default one, which a start without
# lib/ashmemd.jsa maps too. Every start with the archive must map it (/proc/PID/maps), none
# without it. STARTUP_BEFORE=PATH/bin/ashmemd adds as many starts of another build (e.g. an older
# commit's target/dist copied below /var/tmp: the VM has its own /tmp), run as it is. STARTUP_CLASSLOG=1
# adds one start of each kind that logs every class loaded, with its source and wall-clock time,
# to startup.classes.KIND.txt. Table: startup.report. Only run when named: about half a minute
# per start under TCG.
. "$IT_REPO/integration-tests/lib/suite.sh"

RUNS=${STARTUP_RUNS:-3}
NODE=/dev/$ASHMEMD_DEVICE
ARCHIVE=$(dirname "$(readlink -f "$ASHMEMD")")/../lib/ashmemd.jsa
JAVA_HOME_VM=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
BASE_ARCHIVE=$JAVA_HOME_VM/lib/server/classes.jsa
REPORT=$IT_RESULTS/$IT_SUITE.report
[ -r "$ARCHIVE" ] && has_archive=1 || has_archive=0
info archive "$(if [ $has_archive = 1 ]; then echo "$(readlink -f "$ARCHIVE") ($(stat -c %s "$ARCHIVE") bytes)"; else echo "none: this build made no lib/ashmemd.jsa"; fi)"
[ -r "$BASE_ARCHIVE" ] || fail jdk_base_archive "no $BASE_ARCHIVE: a start 'without' would map nothing at all"

# The waiting client: once the daemon's log (from OFFSET on) has its "ready" line, one open(2) of
# the node and two ioctls; prints the wall-clock times (seconds since the epoch) of "ready" seen
# (polled every 50 ms), OPEN answered and GET_SIZE answered. It is started, and has imported what
# it needs, before the daemon's clock starts.
probe() {
	python3 - "$@" <<-'EOF'
		import fcntl, os, sys, time
		log, offset, node, started = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
		ASHMEM_SET_SIZE, ASHMEM_GET_SIZE = 0x40087703, 0x7704
		open(started, "w").close()
		deadline = time.time() + float(sys.argv[5])
		while True:
		    with open(log, "rb") as f:
		        f.seek(offset)
		        if b" ready: " in f.read():
		            break
		    if time.time() > deadline:
		        sys.exit("no ready line")
		    time.sleep(0.05)
		ready = time.time()
		fd = os.open(node, os.O_RDWR)
		opened = time.time()
		fcntl.ioctl(fd, ASHMEM_SET_SIZE, 4096)
		size = fcntl.ioctl(fd, ASHMEM_GET_SIZE)
		answered = time.time()
		os.close(fd)
		if size != 4096:
		    sys.exit(f"GET_SIZE answered {size}, not 4096")
		print(f"{ready:.3f} {opened:.3f} {answered:.3f}")
	EOF
}

# one_start KIND [EXTRA JVM OPTIONS]: a start, timed, checked and stopped; appends
# "KIND READY OPEN IOCTL HARNESS_READY" to $IT_STATE/times.
one_start() {
	local kind=$1 opts=$2 started=$IT_STATE/probe.started out=$IT_STATE/probe.out t0 jvm mapped times
	rm -f "$started" "$out"
	touch "$DAEMON_LOG"
	probe "$DAEMON_LOG" "$(stat -c %s "$DAEMON_LOG")" "$NODE" "$started" "$ASHMEMD_READY_TIMEOUT" >"$out" 2>&1 &
	local probe_pid=$!
	wait_for 60 test -e "$started" || { fail "$kind/probe_started" "the probe did not start"; return 1; }
	t0=$EPOCHREALTIME
	ASHMEMD_JAVA_OPTS=$opts daemon_start || { kill "$probe_pid" 2>/dev/null; return 1; }
	jvm=$(daemon_jvm_pid)
	wait "$probe_pid"
	if times=$(tail -n 1 "$out") && [[ "$times" =~ ^[0-9.]+\ [0-9.]+\ [0-9.]+$ ]]; then
		read -r r o i <<<"$times"
		awk -v t0="$t0" -v r="$r" -v o="$o" -v i="$i" -v k="$kind" -v h="$DAEMON_READY_SECONDS" \
			'BEGIN { printf "%s %.2f %.2f %.2f %s\n", k, r - t0, o - t0, i - t0, h }' >>"$IT_STATE/times"
		info "$kind/start_times" "$(tail -n 1 "$IT_STATE/times" | awk '{ printf "ready %s s, OPEN answered %s s, GET_SIZE answered %s s after exec", $2, $3, $4 }')"
	else
		fail "$kind/first_requests" "the probe: $(tail -n 2 "$out" | tr '\n' ' ')"
	fi
	mapped=$(grep -c 'ashmemd\.jsa' "/proc/$jvm/maps" 2>/dev/null)
	case $kind in
	*archive) check "$kind/mapped" test "${mapped:-0}" -gt 0 ;;
	*) check "$kind/not_mapped" test "${mapped:-0}" = 0 ;;
	esac
	daemon_stop
}

: >"$IT_STATE/times"
for i in $(seq 1 "$RUNS"); do
	# in turns, so that no kind has the colder caches or the busier host throughout
	if [ -n "${STARTUP_BEFORE:-}" ]; then
		orders=("before none archive" "archive before none" "none archive before")
		kinds=${orders[$(((i - 1) % 3))]}
	elif [ $((i % 2)) = 1 ]; then
		kinds="none archive"
	else
		kinds="archive none"
	fi
	for kind in $kinds; do
		case $kind in
		archive) [ $has_archive = 0 ] || one_start archive "" ;;
		none) one_start none "-XX:SharedArchiveFile=$BASE_ARCHIVE" ;;
		before) ASHMEMD=$STARTUP_BEFORE one_start before "" ;;
		esac
	done
done

if [ "${STARTUP_CLASSLOG:-0}" = 1 ]; then
	for kind in ${STARTUP_BEFORE:+before} none archive; do
		[ "$kind" = archive ] && [ $has_archive = 0 ] && continue
		opts="-Xlog:class+load=info,startuptime:file=$IT_RESULTS/$IT_SUITE.classes.$kind.txt:time,uptime"
		case $kind in
		none) one_start "classlog-$kind" "-XX:SharedArchiveFile=$BASE_ARCHIVE $opts" ;;
		before) ASHMEMD=$STARTUP_BEFORE one_start "classlog-$kind" "$opts" ;;
		*) one_start "classlog-$kind" "$opts" ;;
		esac
	done
fi

# medians (and ranges) per kind
{
	echo "| daemon start under TCG (s after exec, median of $RUNS; range) | ready | OPEN answered | GET_SIZE answered | harness's ready (0.2 s polls) |"
	echo "|---|---:|---:|---:|---:|"
	for kind in before none archive; do
		grep "^$kind " "$IT_STATE/times" | awk -v k="$kind" -v b="${STARTUP_BEFORE:-}" '
			{ for (c = 2; c <= 5; c++) v[c, NR] = $c; n = NR }
			END {
				if (n == 0) exit
				printf "| %s |", k == "none" ? "without the archive" : k == "archive" ? "with lib/ashmemd.jsa" : "other build: " b
				for (c = 2; c <= 5; c++) {
					m = 0
					for (i = 1; i <= n; i++) a[i] = v[c, i] + 0
					for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
					printf " %.2f (%.2f-%.2f) |", (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2), a[1], a[n]
				}
				printf "\n"
			}'
	done
} >"$REPORT"
cat "$REPORT" >&2
it_finish
