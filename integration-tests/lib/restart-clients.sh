# The restart suites' clients (restart/client.c), sourced after suite.sh. Set PRELOAD_DIR (the
# directory holding x86_64/ and i386/libashmemd-preload.so) and WORK (a writable directory).
CLIENTS_PER_ABI=${CLIENTS_PER_ABI:-4}

# start_clients PHASE: starts 4 64-bit and 4 32-bit clients; STOP is the file that ends them.
start_clients() {
	local phase=$1 abi i lib
	STOP=$WORK/$phase.stop
	rm -f "$STOP"
	CLIENT_PIDS=() CLIENT_NAMES=()
	for abi in m64 m32; do
		lib=$PRELOAD_DIR/x86_64/libashmemd-preload.so
		[ "$abi" = m32 ] && lib=$PRELOAD_DIR/i386/libashmemd-preload.so
		for i in $(seq 1 "$CLIENTS_PER_ABI"); do
			LD_PRELOAD=$lib "$IT_BUILD/$abi/restart/client" "$STOP" >"$WORK/$phase.$abi.$i.out" 2>"$WORK/$phase.$abi.$i.err" &
			CLIENT_PIDS+=($!)
			CLIENT_NAMES+=("$abi.$i")
		done
	done
	_all_started() {
		local n
		for n in "${CLIENT_NAMES[@]}"; do grep -q started "$WORK/$phase.$n.out" 2>/dev/null || return 1; done
	}
	if wait_for $((60 * IT_TIME_SCALE)) _all_started; then
		pass "$phase/clients_started"
	else
		fail "$phase/clients_started" "not every client printed 'started' within $((60 * IT_TIME_SCALE)) s"
	fi
}

# finish_clients PHASE: stops the clients and judges each one's report (exit 0: no error, every
# region verified, st_rdev unchanged). A client still running 120 s after being told to stop hung.
finish_clients() {
	local phase=$1 i pid name line deadline hung=0 st
	touch "$STOP"
	deadline=$((SECONDS + 120 * IT_TIME_SCALE))
	for i in "${!CLIENT_PIDS[@]}"; do
		pid=${CLIENT_PIDS[$i]} name=${CLIENT_NAMES[$i]}
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
		if kill -0 "$pid" 2>/dev/null; then
			hung=$((hung + 1))
			fail "$phase/${name%%.*}/client_${name#*.}" "still running $((120 * IT_TIME_SCALE)) s after it was told to stop (wchan $(cat /proc/"$pid"/wchan 2>/dev/null), state $(proc_state "$pid"))"
			kill -9 "$pid" 2>/dev/null
			continue
		fi
		wait "$pid"
		st=$?
		line=$(grep '^cycles=' "$WORK/$phase.$name.out")
		info "$phase/${name%%.*}/client_${name#*.}_report" "$line"
		if [ $st -eq 0 ] && [ -n "$line" ]; then
			pass "$phase/${name%%.*}/client_${name#*.}"
		else
			fail "$phase/${name%%.*}/client_${name#*.}" "exit $st: ${line:-no report}; $(head -c 300 "$WORK/$phase.$name.err")"
		fi
	done
	if [ $hung -eq 0 ]; then pass "$phase/no_client_hung"; else fail "$phase/no_client_hung" "$hung clients hung"; fi
}
