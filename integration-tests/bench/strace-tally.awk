# Tallies a trace of a CUSE server taken with `strace -f -qq -xx -s 80 -o FILE -p PID` while
# `bench --count` ran: the requests the server read from its CUSE channel, by kind, and the system
# calls of its threads, per operation, as Markdown tables. bench's marker ioctl (nr 0xEE) splits
# the trace into sections, one per workload.
#   awk -v fd=CHANNEL_FD -v comms=FILE -v titles='T1|T2' -v ops='N1|N2' -v show=REGEX \
#       -f strace-tally.awk TRACE
# comms holds "TID NAME" lines (a trailing "-N" of a name is dropped: readers form one group);
# groups matching show are listed one by one, all others summed as time-driven background.
# Written for mawk: no strtonum, no gawk extensions.

function hexval(h, i, v) {
	v = 0
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}

# byte i of a string printed with -xx ("\x38\x00...")
function byte(s, i) {
	return hexval(substr(s, 4 * i + 3, 2))
}

function u32(s, i) {
	return byte(s, i) + 256 * (byte(s, i + 1) + 256 * (byte(s, i + 2) + 256 * byte(s, i + 3)))
}

function group(tid, n) {
	n = (tid in comm) ? comm[tid] : "?"
	sub(/-[0-9]+$/, "", n)
	if (n !~ show)
		n = "other threads (JIT, GC, timers; driven by time, not by requests)"
	return n
}

# The first quoted string of a completed read(2) on the channel is one request frame:
# fuse_in_header (40 bytes: len, opcode, unique, nodeid, uid, gid, pid, extlen, padding), then for
# IOCTL fuse_ioctl_in (fh at 40, flags 48, cmd 52, arg 56, in_size 64, out_size 68).
function request(line, q, s, op, nr, insz, name) {
	q = index(line, "\"")
	if (!q)
		return
	s = substr(line, q + 1)
	s = substr(s, 1, index(s, "\"") - 1)
	if (length(s) < 4 * 8)
		return
	op = u32(s, 4)
	if (op == 14)
		name = "OPEN"
	else if (op == 18)
		name = "RELEASE"
	else if (op == 39 && length(s) >= 4 * 56) {
		nr = byte(s, 52)
		if (nr == 238) {
			sec++ # bench's marker: the next workload starts
			return
		}
		insz = length(s) >= 4 * 68 ? u32(s, 64) : 0
		name = (nr in ioc) ? ioc[nr] : ("IOCTL nr " nr)
		name = name (insz > 0 ? " (with the fetched argument)" : "")
	} else if (op in opname)
		name = opname[op]
	else
		name = "opcode " op
	if (!(name in reqseen)) {
		reqseen[name] = 1
		reqnames[++nreqnames] = name
	}
	req[sec, name]++
	nreq[sec]++
}

BEGIN {
	ioc[1] = "IOCTL SET_NAME"; ioc[2] = "IOCTL GET_NAME"; ioc[3] = "IOCTL SET_SIZE"
	ioc[4] = "IOCTL GET_SIZE"; ioc[5] = "IOCTL SET_PROT_MASK"; ioc[6] = "IOCTL GET_PROT_MASK"
	ioc[7] = "IOCTL PIN"; ioc[8] = "IOCTL UNPIN"; ioc[9] = "IOCTL GET_PIN_STATUS"
	ioc[160] = "IOCTL GET_TOKEN"; ioc[161] = "IOCTL SEEK"
	opname[15] = "READ"; opname[16] = "WRITE"; opname[36] = "INTERRUPT"; opname[40] = "POLL"
	while ((getline l < comms) > 0) {
		split(l, f, " ")
		comm[f[1]] = f[2]
	}
	nsec = split(titles, title, "|")
	split(ops, nops, "|")
	sec = 0
}

{
	tid = $1
	rest = substr($0, length($1) + 2)
	sub(/^ +/, "", rest)
	if (rest ~ /^<\.\.\. [a-z_0-9]+ resumed>/) {
		if (!(tid in pname))
			next
		name = pname[tid]
		fdv = pfd[tid]
		delete pname[tid]
	} else if (match(rest, /^[a-z_0-9]+\(/)) {
		name = substr(rest, 1, RLENGTH - 1)
		fdv = substr(rest, RLENGTH + 1) + 0
		g = group(tid)
		if (!((g, name) in callseen)) {
			callseen[g, name] = 1
			callnames[g] = callnames[g] "|" name
		}
		calls[sec, g, name]++
		if (!(g in seen)) {
			seen[g] = 1
			groups[++ngroups] = g
		}
		total[sec, g]++
		if (rest ~ /<unfinished \.\.\.>$/) {
			pname[tid] = name
			pfd[tid] = fdv
			next
		}
	} else
		next
	ret = -1
	if (match(rest, / = -?[0-9]+/))
		ret = substr(rest, RSTART + 3, RLENGTH - 3) + 0
	if (name == "read" && fdv == fd && ret > 0)
		request(rest)
	else if ((name == "write" || name == "writev") && fdv == fd && ret > 0)
		replies[sec]++
}

END {
	for (s = 1; s <= nsec; s++) {
		n = nops[s] > 0 ? nops[s] : 1
		printf "#### %s\n\n", title[s]
		printf "| CUSE request read by the server | per operation |\n|---|---:|\n"
		for (i = 1; i <= nreqnames; i++)
			if (((s, reqnames[i]) in req) && req[s, reqnames[i]] / n >= 0.05)
				printf "| %s | %.2f |\n", reqnames[i], req[s, reqnames[i]] / n
		printf "| **all requests** | **%.2f** |\n", nreq[s] / n
		printf "| replies written | %.2f |\n\n", replies[s] / n
		printf "| server thread | system calls per operation (≥ 0.05), most frequent first | total |\n|---|---|---:|\n"
		for (gi = 1; gi <= ngroups; gi++) {
			g = groups[gi]
			k = split(substr(callnames[g], 2), cand, "|")
			m = 0
			for (i = 1; i <= k; i++)
				if (((s, g, cand[i]) in calls) && calls[s, g, cand[i]] / n >= 0.05)
					keep[++m] = cand[i]
			line = ""
			while (m > 0) {
				best = 1
				for (i = 2; i <= m; i++)
					if (calls[s, g, keep[i]] > calls[s, g, keep[best]])
						best = i
				line = line sprintf("%s%s %.2f", line == "" ? "" : ", ", keep[best], calls[s, g, keep[best]] / n)
				keep[best] = keep[m--]
			}
			if (total[s, g] / n >= 0.05)
				printf "| %s | %s | %.2f |\n", g, line, total[s, g] / n
		}
		printf "\n"
	}
}
