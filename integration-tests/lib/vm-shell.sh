#!/bin/bash
# A root shell on the VM's serial console for integration-tests/try (run --shell), started by
# vm-main.sh after the suites. The VM powers off when the shell exits.
set -u
. /run/it/config.sh
tty=/dev/ttyS0
[ -n "${IT_TTY_SIZE:-}" ] && stty -F "$tty" rows "${IT_TTY_SIZE% *}" cols "${IT_TTY_SIZE#* }" 2>/dev/null
stty -F "$tty" sane 2>/dev/null
rc=$(mktemp)
cat >"$rc" <<RC
PS1='ashmemd-vm:\w# '
PATH=$(printf %q "$IT_BUILD/m64/demo"):\$PATH
alias ls='ls --color=auto'
RC
cat >"$tty" <<'MSG'

You are root in the VM: systemd is PID 1, ashmemd runs as ashmemd.service from the installed
package, and /dev/ashmem is served through the real CUSE driver. Try:
  ashmemctl status | ashmemctl regions | systemctl status ashmemd | journalctl -u ashmemd
  LD_PRELOAD=/usr/lib/ashmemd/lib/native/x86_64/libashmemd-preload.so ashmem-demo
Leave the shell (exit or ^D) to power the VM off.

MSG
# setsid -c: the serial line becomes the shell's controlling terminal (job control, ^C).
TERM=${IT_TERM:-vt100} HOME=/root setsid -c -w bash --rcfile "$rc" -i <"$tty" >"$tty" 2>&1
rm -f "$rc"
