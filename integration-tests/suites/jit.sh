#!/bin/bash
# it-order: 95
# it-budget: 1200
# it-default: no
# it-build: jvm java
# Whether this machine runs HotSpot's patched code correctly, without ashmemd: jvm/JitPatchProbe
# makes the JIT patch thousands of method entries while other threads call those methods, and
# has no native code of its own. A JVM crash here is the machine's (under QEMU TCG: an emulated
# CPU that ran a half-patched instruction), so a daemon crash with the same signature is too.
# Compare --tcg-thread multi (the default) with single, and JIT_OPTS=-XX:TieredStopAtLevel=1
# (C1 only: no entry is patched when a method moves up a tier).
#
# Knobs (--env): JIT_RUNS (JVMs started one after another, default 6), JIT_SECONDS (each, 120),
# JIT_METHODS (1000), JIT_THREADS (4), JIT_OPTS (more JVM options).
. "$IT_REPO/integration-tests/lib/suite.sh"

JIT_RUNS=${JIT_RUNS:-6}
JIT_SECONDS=${JIT_SECONDS:-120}
JIT_METHODS=${JIT_METHODS:-1000}
JIT_THREADS=${JIT_THREADS:-4}
JIT_OPTS=${JIT_OPTS:-}
for v in JIT_RUNS JIT_SECONDS JIT_METHODS JIT_THREADS; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { fail knobs "$v must be a whole number above 0, got '${!v}'"; it_finish; }
done
JAVA_BIN=${JAVA_HOME:+$JAVA_HOME/bin/}java
GEN=$IT_STATE/jit-gen
what="JIT_OPTS='$JIT_OPTS', tcg_thread=$IT_TCG_THREAD, $JIT_METHODS methods, $JIT_THREADS threads"

crashes=0 runs=0 frames=""
for run in $(seq 1 "$JIT_RUNS"); do
	out=$IT_STATE/jit-$run.out
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086 # JIT_OPTS holds several options
	"$JAVA_BIN" -XX:+UseSerialGC -Xss512k $JIT_OPTS -XX:ErrorFile="$IT_RESULTS/$IT_SUITE.hs_err.$run.log" \
		-cp "$IT_BUILD/jvm" JitPatchProbe "$GEN" "$JIT_METHODS" "$JIT_THREADS" "$JIT_SECONDS" >"$out" 2>&1 </dev/null
	st=$?
	runs=$((runs + 1))
	note "run $run: exit $st after $(seconds_since "$t0") s: $(grep -m1 '^probe ' "$out")"
	if [ "$st" -ne 0 ]; then
		crashes=$((crashes + 1))
		frame=$(jvm_crash_frame <"$out")
		frames="$frames${frames:+; }run $run exit $st: ${frame:-$(tail -n 1 "$out" | cut -c1-160)}"
		hs=$IT_RESULTS/$IT_SUITE.hs_err.$run.log
		[ -r "$hs" ] && note "run $run: $(grep -m1 '^siginfo:' "$hs")"
	fi
done
info summary "$crashes of $runs JVMs crashed ($what, ${JIT_SECONDS} s each)"
if [ "$crashes" -eq 0 ]; then
	pass jvm_runs_patched_code
else
	fail jvm_runs_patched_code "$crashes of $runs JVMs crashed: $frames"
fi
it_finish
