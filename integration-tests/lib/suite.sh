# Shared helpers for suites. Sourced by integration-tests/suites/*.sh, which run inside the test
# VM (chrooted into the host root, as root) with IT_REPO, IT_BUILD, IT_RESULTS, IT_STATE and
# IT_SUITE set by lib/vm-main.sh.
#
# Results: one line per test in $IT_RESULTS/$IT_SUITE.results:
#   pass NAME | fail NAME REASON | skip NAME REASON | info NAME TEXT (shown, not counted)
# NAME has no spaces; REASON is one line.

: "${IT_REPO:?}" "${IT_BUILD:?}" "${IT_RESULTS:?}" "${IT_SUITE:?}"
IT_STATE=${IT_STATE:-/run/it-state}
mkdir -p "$IT_STATE"
IT_RESULT_FILE=$IT_RESULTS/$IT_SUITE.results

ASHMEMD=${ASHMEMD:-$IT_REPO/target/dist/bin/ashmemd}
ASHMEMD_DEVICE=${ASHMEMD_DEVICE:-ashmem}
ASHMEMD_RUNTIME_DIR=${ASHMEMD_RUNTIME_DIR:-/run/ashmemd}
IT_TIME_SCALE=${IT_TIME_SCALE:-1} # > 1 when other VMs share the machine: scale every wait by it
ASHMEMD_READY_TIMEOUT=${ASHMEMD_READY_TIMEOUT:-$((120 * IT_TIME_SCALE))} # JVM start under TCG is slow
DAEMON_LOG=$IT_RESULTS/$IT_SUITE.daemon.log
DAEMON_PID=

# ---- results ----

_it_line() { printf '%s\n' "$*" | tr '\n\r' '  ' | sed 's/ *$//'; }
pass() {
	echo "pass $1" >>"$IT_RESULT_FILE"
	echo "PASS $1" >&2
}
fail() {
	local name=$1
	shift
	echo "fail $name $(_it_line "${*:-failed}")" >>"$IT_RESULT_FILE"
	echo "FAIL $name: $*" >&2
}
skip() {
	local name=$1
	shift
	echo "skip $name $(_it_line "${*:-skipped}")" >>"$IT_RESULT_FILE"
	echo "SKIP $name: $*" >&2
}
info() {
	local name=$1
	shift
	echo "info $name $(_it_line "$*")" >>"$IT_RESULT_FILE"
	echo "INFO $name: $*" >&2
}
note() { echo "$*" >&2; }

# check NAME COMMAND...: passes when COMMAND succeeds; fails with the tail of its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ') (command: $*)"
	fi
}

# run_checks PREFIX PROGRAM [ARGS...]: runs a check.h program and records its lines as
# PREFIX<test name>, live (so a run cut short keeps what it had). A runner failure (status >= 2,
# or killed) is a failure of its own.
run_checks() {
	local prefix=$1 prog=$2 verdict name rest st
	shift 2
	note "running $prog $*"
	"$prog" "$@" | while IFS= read -r line; do
		verdict=${line%% *}
		rest=${line#* }
		name=${rest%% *}
		[ "$rest" = "$name" ] && rest="" || rest=${rest#* }
		case "$verdict" in
		pass | fail | skip) echo "$verdict $prefix$name${rest:+ $rest}" >>"$IT_RESULT_FILE"
			echo "${verdict^^} $prefix$name${rest:+: $rest}" >&2 ;;
		*) echo "$line" >&2 ;;
		esac
	done
	st=${PIPESTATUS[0]}
	if [ "$st" -ge 2 ]; then
		fail "${prefix}$(basename "$prog")" "the test program exited with status $st$([ "$st" -gt 128 ] && echo " (signal $((st - 128)))")"
	fi
	return 0
}

# ---- a suite's C programs, 64-bit then 32-bit ----

# suite_programs ABI DIR [FIRST...]: the programs built from DIR for ABI ($IT_BUILD/ABI/DIR, see
# "# it-build:"), the FIRST ones in that order, then the others alphabetically.
suite_programs() {
	local abi=$1 dir=$IT_BUILD/$1/$2 n p
	shift 2
	for n in "$@"; do
		[ -x "$dir/$n" ] && echo "$dir/$n"
	done
	for p in "$dir"/*; do
		n=$(basename "$p")
		[ -x "$p" ] && [[ " $* " != *" $n "* ]] && echo "$p"
	done
}

# A suite redefines these two to adapt run_programs: before_abi ABI runs before that ABI's
# programs; run_program ABI PROGRAM runs one (with the environment or the selection of tests the
# suite wants), recording its results under "ABI/".
before_abi() { :; }
run_program() { run_checks "$1/" "$2"; }

# run_programs DIR [FIRST...]: every 64-bit program of DIR, then every 32-bit one (suite_programs),
# each through run_program, against the running daemon. After each program the daemon must still
# run: if it died, daemon_survives fails naming the program, the remaining ones are not run and
# it returns 1; otherwise daemon_survives passes at the end.
run_programs() {
	local dir=$1 abi prog t0
	shift
	for abi in m64 m32; do
		before_abi "$abi"
		for prog in $(suite_programs "$abi" "$dir" "$@"); do
			t0=$EPOCHREALTIME
			run_program "$abi" "$prog"
			note "$abi/$(basename "$prog") took $(seconds_since "$t0") s"
			if ! proc_running "$DAEMON_PID"; then
				wait "$DAEMON_PID"
				fail daemon_survives "ashmemd exited (status $?) while $abi/$(basename "$prog") ran$(daemon_crash_report); the remaining programs were not run"
				DAEMON_PID=
				rm -f "$IT_STATE/daemon.pid"
				return 1
			fi
		done
	done
	pass daemon_survives
}

# preload_libraries [DIR]: PRELOAD[m64] and PRELOAD[m32], the preload library of each ABI in DIR
# (default: the built distribution's lib/native); when one is missing, fails ABI/preload_library
# and ends the suite.
preload_libraries() {
	local dir=${1:-$IT_REPO/target/dist/lib/native} abi
	declare -gA PRELOAD=([m64]=$dir/x86_64/libashmemd-preload.so [m32]=$dir/i386/libashmemd-preload.so)
	for abi in m64 m32; do
		[ -r "${PRELOAD[$abi]}" ] || { fail "$abi/preload_library" "${PRELOAD[$abi]} is missing (build the distribution first)"; it_finish; }
	done
}

# ---- processes ----

# The state letter of a process ("" when gone). kill -0 cannot tell a zombie from a live process.
proc_state() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
proc_running() {
	local s
	s=$(proc_state "$1")
	[ -n "$s" ] && [ "$s" != Z ]
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 end
	shift
	end=$((${EPOCHREALTIME%.*} + secs))
	until "$@"; do
		[ "${EPOCHREALTIME%.*}" -lt "$end" ] || return 1
		sleep 0.2
	done
}

boot_id() { cat /proc/sys/kernel/random/boot_id; }

# proc_cpu_ticks PID: user + system clock ticks the process has used.
proc_cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }

# systemd_report UNIT: why systemd may not answer: one `systemctl show` with its time and its
# error, PID 1's state, where it waits, the CPU it used in 2 s, and what waits on its notify socket.
systemd_report() {
	local t0 out c0 c1 hz
	t0=$EPOCHREALTIME
	out=$(timeout 60 systemctl show -p ActiveState -p SubState -p NRestarts -p NFileDescriptorStore "$1" 2>&1 | tr '\n' ' ')
	printf 'systemctl show took %s s: %s; ' "$(seconds_since "$t0")" "${out:0:300}"
	hz=$(getconf CLK_TCK)
	c0=$(proc_cpu_ticks 1)
	sleep 2
	c1=$(proc_cpu_ticks 1)
	printf 'PID 1: state %s, wchan %s, %s %% of a CPU over 2 s; ' "$(proc_state 1)" "$(cat /proc/1/wchan 2>/dev/null)" \
		"$(( (c1 - c0) * 100 / (2 * hz) ))"
	printf 'notify socket: %s' "$(ss -x -a -n 2>/dev/null | awk '$5 == "/run/systemd/notify" { print "Recv-Q " $3 }' | head -n 1)"
}


# seconds_since T0: the seconds since $EPOCHREALTIME was T0, to one decimal.
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ---- HTTP (the daemon's metrics) ----

# The VM has no network but loopback, which nobody has brought up; the metrics listen there.
loopback_up() { ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || busybox ip link set lo up 2>/dev/null; }

# http_get HOST:PORT PATH: the body of a 200 answer on stdout; curl, wget or bash's /dev/tcp.
http_get() {
	if command -v curl >/dev/null; then
		curl -fsS --max-time 30 "http://$1$2"
	elif command -v wget >/dev/null; then
		wget -q -T 30 -O - "http://$1$2"
	else
		local reply
		exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || return 1
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3 # 1.0: the server closes when done
		reply=$(timeout 30 cat <&3 | tr -d '\r')
		exec 3<&-
		[[ "$reply" == "HTTP/1."?" 200"* ]] || { echo "${reply%%$'\n'*}" >&2; return 1; }
		printf '%s\n' "${reply#*$'\n\n'}"
	fi
}

# ---- the daemon ----

# What the daemon logged since daemon_start started it.
_daemon_log_since_start() { tail -c +"$((_daemon_log_offset + 1))" "$DAEMON_LOG" 2>/dev/null; }

# jvm_crash_frame: the frame HotSpot names in a fatal error report read on stdin ("J 2158 c1
# org.ashmemd...", without its "# "), or nothing when there is none.
jvm_crash_frame() { grep -A1 '^# Problematic frame:' | tail -n 1 | cut -c3-200; }

# jvm_run_once_more LABEL LOG CMD...: runs CMD (a JVM: ashmemd or ashmemctl) with its output in
# LOG. When it fails and LOG holds HotSpot's fatal error report (under QEMU TCG the JVM rarely
# dies in freshly JIT-patched code, see daemon_start), says so under LABEL, keeps that output in
# LOG.crash and runs CMD once more: the check after it judges the program, not the emulator.
# Returns CMD's last exit status.
jvm_run_once_more() {
	local label=$1 log=$2
	shift 2
	jvm_run_once_more_apart "$label" "$log" "" "$@"
}

# jvm_run_once_more_apart LABEL OUT ERR CMD...: the same with standard output in OUT and standard
# error in ERR (with ERR empty, both in OUT), for checks that read one without the other.
jvm_run_once_more_apart() {
	local label=$1 out=$2 err=$3 st frame f
	shift 3
	_jvm_run_into "$out" "$err" "$@"
	st=$?
	frame=$( ((st != 0)) && cat "$out" ${err:+"$err"} | jvm_crash_frame)
	if [ -n "$frame" ]; then
		info "$label/jvm_crash" "exit $st, the JVM crashed ($frame); running it once more"
		for f in "$out" ${err:+"$err"}; do cp "$f" "$f.crash"; done
		_jvm_run_into "$out" "$err" "$@"
		st=$?
	fi
	return $st
}

_jvm_run_into() {
	local out=$1 err=$2
	shift 2
	if [ -n "$err" ]; then
		"$@" >"$out" 2>"$err" </dev/null
	else
		"$@" >"$out" 2>&1 </dev/null
	fi
}

_daemon_ready() {
	[ -c "/dev/$ASHMEMD_DEVICE" ] && _daemon_log_since_start | grep -qw ready
}
_daemon_started_or_dead() { _daemon_ready || ! proc_running "$DAEMON_PID"; }

# daemon_start [EXTRA ARGS...]: starts ashmemd and waits until it logged "ready" and its device
# exists. Records pass/fail "daemon_ready"; returns non-zero when the daemon is not serving.
daemon_start() {
	if [ ! -x "$ASHMEMD" ]; then
		fail daemon_ready "ashmemd is not built: $ASHMEMD is missing (build the distribution first)"
		return 1
	fi
	[ -c /dev/cuse ] || fail daemon_ready "/dev/cuse is missing in the VM"
	touch "$DAEMON_LOG"
	_daemon_log_offset=$(stat -c %s "$DAEMON_LOG")
	echo "==== $(date -u +%FT%TZ) $IT_SUITE: $ASHMEMD $*" >>"$DAEMON_LOG"
	local t0=$EPOCHREALTIME
	# The VM's JIT setting (vm-main.sh), and a JVM crash report in the results share (the VM's
	# /tmp is gone with it).
	ASHMEMD_JAVA_OPTS="${DAEMON_JIT_OPTS:+$DAEMON_JIT_OPTS }${ASHMEMD_JAVA_OPTS:+$ASHMEMD_JAVA_OPTS }-XX:ErrorFile=$IT_RESULTS/$IT_SUITE.hs_err.%p.log" \
		"$ASHMEMD" --device "$ASHMEMD_DEVICE" --runtime-dir "$ASHMEMD_RUNTIME_DIR" --log-level info "$@" \
		>>"$DAEMON_LOG" 2>&1 </dev/null &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >"$IT_STATE/daemon.pid"
	wait_for "$ASHMEMD_READY_TIMEOUT" _daemon_started_or_dead
	if _daemon_ready; then
		DAEMON_READY_SECONDS=$(seconds_since "$t0")
		pass daemon_ready
		info daemon_ready_time "ready after $DAEMON_READY_SECONDS s (pid $DAEMON_PID)"
		return 0
	fi
	local why last
	last=$(_daemon_log_since_start | grep -v '^====' | tail -n 1 | cut -c1-200)
	if ! proc_running "$DAEMON_PID"; then
		wait "$DAEMON_PID"
		why="ashmemd exited with status $? before it was ready"
		# HotSpot, under QEMU TCG, rarely dies with SIGSEGV inside freshly JIT-patched code; the
		# frame is named, and one new start tells such a crash from a daemon that cannot start
		local frame
		frame=$(_daemon_log_since_start | jvm_crash_frame)
		if [ -n "$frame" ] && [ -z "${_daemon_start_retried:-}" ]; then
			info jvm_crash_at_start "the JVM crashed before ready ($frame); starting it once more"
			_daemon_start_retried=1
			daemon_start "$@"
			local r=$?
			_daemon_start_retried=
			return $r
		fi
	else
		why="ashmemd did not become ready within $ASHMEMD_READY_TIMEOUT s"
		[ -c "/dev/$ASHMEMD_DEVICE" ] || why="$why (no /dev/$ASHMEMD_DEVICE)"
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	fail daemon_ready "$why${last:+; last log line: $last}"
	DAEMON_PID=
	rm -f "$IT_STATE/daemon.pid"
	return 1
}

# daemon_crash_report: ", JVM crash: FRAME (SIGNAL at ADDRESS)" when the daemon's log since its
# start holds HotSpot's fatal error report, else nothing; for the failure that reports its death.
daemon_crash_report() {
	local log frame sig hs
	log=$(_daemon_log_since_start)
	frame=$(jvm_crash_frame <<<"$log")
	[ -n "$frame" ] || return 0
	hs=$(grep -o "$IT_RESULTS/[^ ]*hs_err[^ ]*\.log" <<<"$log" | tail -n 1)
	[ -n "$hs" ] && sig=$(grep -m1 '^siginfo:' "$hs" 2>/dev/null | cut -c10-120)
	printf ', JVM crash: %s%s' "$frame" "${sig:+ ($sig; report: $(basename "$hs"))}"
}

# daemon_check_alive NAME: passes while the daemon process still runs.
daemon_check_alive() {
	if [ -n "$DAEMON_PID" ] && proc_running "$DAEMON_PID"; then
		pass "$1"
	else
		fail "$1" "the ashmemd process is gone"
	fi
}

# daemon_stop: SIGTERM, then expects exit status 0 within 30 s and the device nodes gone.
daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	local pid=$DAEMON_PID st alias
	alias=/dev/$ASHMEMD_DEVICE$(boot_id)
	DAEMON_PID=
	if ! proc_running "$pid"; then
		wait "$pid"
		fail daemon_stop "ashmemd had already exited (status $?) before SIGTERM$(daemon_crash_report)"
		rm -f "$IT_STATE/daemon.pid"
		return 1
	fi
	kill -TERM "$pid"
	if ! wait_for $((30 * IT_TIME_SCALE)) eval '! proc_running '"$pid"; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		fail daemon_stop "ashmemd did not exit within $((30 * IT_TIME_SCALE)) s of SIGTERM (killed)"
		rm -f "$IT_STATE/daemon.pid"
		return 1
	fi
	wait "$pid"
	st=$?
	rm -f "$IT_STATE/daemon.pid"
	if [ "$st" -ne 0 ]; then
		fail daemon_stop "ashmemd exited with status $st after SIGTERM (expected 0)"
		return 1
	fi
	if ! wait_for 5 eval "[ ! -e /dev/$ASHMEMD_DEVICE ] && [ ! -e $alias ]"; then
		fail daemon_stop "exited 0, but a device node is still there: $(ls -d "/dev/$ASHMEMD_DEVICE" "$alias" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	pass daemon_stop
}

# The JVM's pid: the launcher execs java, but a launcher that forks is handled too.
daemon_jvm_pid() {
	local p=$DAEMON_PID c
	[ -n "$p" ] || return 1
	if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = java ]; then
		echo "$p"
		return 0
	fi
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = java ]; then
			echo "$c"
			return 0
		fi
	done
	echo "$p"
}

# Stops the daemon (without judging it) when a suite ends early.
_it_cleanup() {
	if [ -n "$DAEMON_PID" ] && proc_running "$DAEMON_PID"; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait_for 20 eval '! proc_running '"$DAEMON_PID" || kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
}
trap _it_cleanup EXIT

# ---- resource probes of a process ----

probe_fds() { ls -U "/proc/$1/fd" 2>/dev/null | wc -l; }
# Threads of a process, without the JVM's own worker pools: its JIT compiler threads and GC workers
# are started as load needs them and may stay (a fuzz run ended with one more C2 thread), which is
# no leak of the daemon's. Its own threads (readers, broker, admin, watchdog ...) all count.
probe_threads() {
	local c name n=0
	[ -d "/proc/$1/task" ] || return 0
	for c in /proc/"$1"/task/*/comm; do
		read -r name <"$c" 2>/dev/null || continue
		case "$name" in
		"C1 CompilerThre"* | "C2 CompilerThre"* | "GC Thread#"* | "G1 Conc#"* | "G1 Refine#"*) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
probe_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

JCMD=""
_find_jcmd() {
	[ -z "$JCMD" ] || return 0
	local j
	if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jcmd" ]; then
		JCMD=$JAVA_HOME/bin/jcmd
	elif j=$(command -v java) && j=$(readlink -f "$j") && [ -x "$(dirname "$j")/jcmd" ]; then
		JCMD=$(dirname "$j")/jcmd
	else
		JCMD=$(command -v jcmd)
	fi
}

# probe_jvm_attach PID: attaches once (jcmd VM.version). The first attach starts the JVM's
# "Attach Listener" thread and its socket for good, so do it before any baseline count.
probe_jvm_attach() {
	_find_jcmd
	[ -n "$JCMD" ] && "$JCMD" "$1" VM.version >/dev/null 2>&1
}

# probe_heap PID: sets HEAP_USED_BYTES to the Java heap in use right after a full GC (jcmd
# GC.run + GC.heap_info) and HEAP_METHOD to how it was measured. When jcmd cannot attach,
# returns 1 with HEAP_USED_BYTES empty and HEAP_METHOD saying why: no number is better than a
# number that means something else.
probe_heap() {
	local pid=$1 cmds out
	HEAP_USED_BYTES=""
	_find_jcmd
	if [ -z "$JCMD" ]; then
		HEAP_METHOD="unavailable: no jcmd (install a JDK)"
		return 1
	fi
	cmds=$(mktemp)
	printf 'GC.run\nGC.heap_info\n' >"$cmds"
	out=$("$JCMD" "$pid" -f "$cmds" 2>&1)
	local st=$?
	rm -f "$cmds"
	if [ $st -ne 0 ] || ! grep -q 'used' <<<"$out"; then
		HEAP_METHOD="unavailable: jcmd could not attach to $pid: $(tail -n 1 <<<"$out" | cut -c1-160)"
		return 1
	fi
	# Sum the "used N{K,M,G}" of the heap lines (any collector), not Metaspace or class space.
	HEAP_USED_BYTES=$(awk '
		/Metaspace|class space/ { next }
		{
			if (match($0, /used [0-9]+[KMG]/)) {
				v = substr($0, RSTART + 5, RLENGTH - 6); u = substr($0, RSTART + RLENGTH - 1, 1)
				sum += v * (u == "K" ? 1024 : u == "M" ? 1048576 : 1073741824)
			}
		}
		END { printf "%d", sum }' <<<"$out")
	HEAP_METHOD="jcmd GC.run + GC.heap_info"
	[ -n "$HEAP_USED_BYTES" ] && [ "$HEAP_USED_BYTES" -gt 0 ]
}

# probe_all PID: full GC, then fds and threads (counted after the GC so that its threads exist in
# both measurements). Sets P_FDS, P_THREADS, P_RSS_KB, HEAP_USED_BYTES, HEAP_METHOD.
probe_all() {
	probe_heap "$1"
	sleep 1
	P_FDS=$(probe_fds "$1")
	P_THREADS=$(probe_threads "$1")
	P_RSS_KB=$(probe_rss_kb "$1")
}

# ---- a process's resources against a baseline (fuzz, load, scale) ----

# baseline_take PID: PID's fds, threads, heap after GC and RSS now, as the baseline that
# baseline_check compares with (BASE_FDS, BASE_THREADS, BASE_HEAP, BASE_RSS_KB); "INFO baseline".
baseline_take() {
	probe_all "$1"
	BASE_FDS=$P_FDS BASE_THREADS=$P_THREADS BASE_HEAP=$HEAP_USED_BYTES BASE_RSS_KB=$P_RSS_KB
	info baseline "fds=$BASE_FDS threads=$BASE_THREADS heap_used=${BASE_HEAP:-n/a} rss_kb=$BASE_RSS_KB (heap: $HEAP_METHOD)"
}

_baseline_settled() { [ "$(probe_fds "$1")" -le "$BASE_FDS" ] && [ "$(probe_threads "$1")" -le "$BASE_THREADS" ]; }

# baseline_check PID HEAP_TOLERANCE_BYTES [SETTLE_SECONDS] [EXTRA_THREADS]: once what the clients
# held is released (fds and threads back to the baseline within SETTLE_SECONDS, default 30, times
# the time scale), PID has no more fds than at baseline_take, at most EXTRA_THREADS (default 0)
# more threads, and a heap after GC at most HEAP_TOLERANCE_BYTES larger: checks
# fds_back_to_baseline, threads_back_to_baseline, heap_back_to_baseline; "INFO after" and the
# thread names, and P_* hold the figures afterwards.
baseline_check() {
	local pid=$1 tolerance=$2 settle=${3:-30} extra=${4:-0}
	wait_for $((settle * IT_TIME_SCALE)) _baseline_settled "$pid"
	probe_all "$pid"
	info after "fds=$P_FDS threads=$P_THREADS heap_used=${HEAP_USED_BYTES:-n/a} rss_kb=$P_RSS_KB"
	info thread_names "$(cat /proc/"$pid"/task/*/comm 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
	check fds_back_to_baseline test "$P_FDS" -le "$BASE_FDS"
	check threads_back_to_baseline test "$P_THREADS" -le $((BASE_THREADS + extra))
	if [ -n "$BASE_HEAP" ] && [ -n "$HEAP_USED_BYTES" ]; then
		check heap_back_to_baseline test $((HEAP_USED_BYTES - BASE_HEAP)) -le "$tolerance"
	else
		skip heap_back_to_baseline "no heap figure: $HEAP_METHOD"
	fi
}

# ---- JSON (ashmemctl --json), read with python3's json module ----

# json_parses FILE: FILE holds exactly one well-formed JSON document (the parser's complaint on
# stderr otherwise).
json_parses() { python3 -m json.tool "$1" >/dev/null; }

# json_index FILE: parses FILE and writes FILE.paths, one line per scalar, "PATH<TAB>VALUE": PATH
# joins object keys and array indexes with dots (processes.0.kinds.ashmemd.sizeBytes), strings
# are bare (backslash, tab, CR and LF written as \\, \t, \r, \n), numbers, true, false and null
# as JSON writes them. Fails with the parser's complaint when FILE is not JSON.
json_index() {
	python3 - "$1" >"$1.paths" <<-'EOF'
		import json, sys
		def scalar(v):
		    if isinstance(v, str):
		        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
		    return json.dumps(v)
		def walk(path, v):
		    if isinstance(v, dict):
		        items = v.items()
		    elif isinstance(v, list):
		        items = enumerate(v)
		    else:
		        print(path + "\t" + scalar(v))
		        return
		    for k, x in items:
		        walk(f"{path}.{k}" if path else str(k), x)
		try:
		    with open(sys.argv[1], encoding="utf-8") as f:
		        doc = json.load(f)
		except (OSError, ValueError) as e:
		    sys.exit(f"{sys.argv[1]}: not JSON: {e}")
		walk("", doc)
	EOF
}

# json_get FILE PATH: prints the scalar at PATH (after json_index FILE); fails when there is none.
json_get() { awk -F'\t' -v p="$2" '$1 == p { print substr($0, length(p) + 2); found = 1; exit } END { exit !found }' "$1.paths"; }

# json_is FILE PATH VALUE: fails, saying why, unless the scalar at PATH is VALUE.
json_is() {
	local v
	v=$(json_get "$1" "$2") || { echo "$(basename "$1"): no $2"; return 1; }
	[ "$v" = "$3" ] || { echo "$(basename "$1"): $2 is $v, expected $3"; return 1; }
}

# json_find FILE ARRAY FIELD VALUE: the path of the element of ARRAY ("" for the top level) whose
# FIELD is VALUE (after json_index FILE).
json_find() {
	awk -F'\t' -v a="$2" -v f="$3" -v v="$4" '
		BEGIN { pre = a == "" ? "" : a "." }
		substr($0, length($1) + 2) == v && index($1, pre) == 1 {
			rest = substr($1, length(pre) + 1)
			if (rest ~ ("^[0-9]+\\." f "$")) { sub(/\..*/, "", rest); print pre rest; found = 1; exit }
		}
		END { exit !found }' "$1.paths"
}

# The suite's verdict is in its results; the exit status only reports a broken script.
it_finish() { exit 0; }

# ---- systemd mode ----

# unit_start_timeout_scaled UNIT: a JVM starts in a minute or more under TCG, several when other
# VMs share the machine, while a unit's TimeoutStartSec= is set for real hardware. A runtime
# drop-in (under /run, gone with the VM) gives UNIT as long to start as the harness gives a
# daemon; the unit's other settings stay as installed. On an unshared machine (scale 1) the
# unit's own limit applies, as it does for users of integration-tests/try.
unit_start_timeout_scaled() {
	[ "$IT_TIME_SCALE" -gt 1 ] || return 0
	mkdir -p "/run/systemd/system/$1.d"
	printf '[Service]\nTimeoutStartSec=%s\n' "$ASHMEMD_READY_TIMEOUT" >"/run/systemd/system/$1.d/it-timing.conf"
	systemctl daemon-reload
}
