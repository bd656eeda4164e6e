# Flattens JSON into one line per scalar, "PATH<TAB>VALUE", so that shell suites can check
# ashmemctl's --json output without a JSON tool in the VM. PATH joins object keys and array
# indexes with dots (processes.0.kinds.ashmemd.sizeBytes); strings lose their quotes and their
# \" and \\ escapes (others are kept as written); empty objects and arrays print nothing.
{ buf = buf $0 "\n" }

function path(   p, k) {
	p = ""
	for (k = 1; k <= depth; k++)
		p = p (k > 1 ? "." : "") key[k]
	return p
}

function value_done() {
	if (depth > 0) {
		if (type[depth] == "a")
			key[depth]++
		else
			expect[depth] = 1
	}
}

END {
	n = length(buf)
	i = 1
	depth = 0
	while (i <= n) {
		c = substr(buf, i, 1)
		if (c == " " || c == "\t" || c == "\r" || c == "\n" || c == "," || c == ":") {
			i++
		} else if (c == "{" || c == "[") {
			depth++
			type[depth] = c == "{" ? "o" : "a"
			key[depth] = c == "{" ? "" : 0
			expect[depth] = 1
			i++
		} else if (c == "}" || c == "]") {
			depth--
			value_done()
			i++
		} else if (c == "\"") {
			s = ""
			j = i + 1
			while (j <= n) {
				ch = substr(buf, j, 1)
				if (ch == "\\") {
					nx = substr(buf, j + 1, 1)
					s = s ((nx == "\"" || nx == "\\") ? nx : "\\" nx)
					j += 2
				} else if (ch == "\"") {
					break
				} else {
					s = s ch
					j++
				}
			}
			i = j + 1
			if (depth > 0 && type[depth] == "o" && expect[depth]) {
				key[depth] = s
				expect[depth] = 0
			} else {
				print path() "\t" s
				value_done()
			}
		} else {
			j = i
			while (j <= n && substr(buf, j, 1) !~ /[],} \t\r\n]/)
				j++
			print path() "\t" substr(buf, i, j - i)
			value_done()
			i = j
		}
	}
}
