// The guest's side of the test peer: its /init and the command loop on the serial console. The
// host side of the same protocol is console.ts; the two change together (the builder's cache key
// includes these texts, so a change here rebuilds every image).

/** Printed on the console once the modules are loaded and the command loop listens. */
export const READY_MARKER = 'SPICEDESK-GUEST-READY';
/** Before a command's output: `SPICEDESK-BEGIN:<id>\n`. */
export const BEGIN_MARKER = 'SPICEDESK-BEGIN:';
/** After it: `\nSPICEDESK-END:<id>:<status>\n` (the newline before it is not part of the output). */
export const END_MARKER = 'SPICEDESK-END:';

export const MODULE_LIST_PATH = '/etc/spicedesk/modules';
export const INIT_SCRIPT_PATH = '/etc/spicedesk/init.sh';
export const SHELL_LOOP_PATH = '/etc/spicedesk/shell.sh';

/**
 * PID 1. The modules load in the listed order (insmod, no modprobe: the order is the one the
 * builder got from modprobe --show-depends). The init script runs as its own process so that an
 * `exit` in it cannot end PID 1 (a kernel panic). Both serial ports go raw and silent: ttyS0
 * carries the command loop, ttyS1 binary files. `dmesg -n 1` then keeps kernel messages (but for
 * panics) from landing in the middle of a command's output; `dmesg` in the guest still has them.
 * The command loop must not be PID 1: orphans (a command's background job, once its subshell has
 * ended) become PID 1's children, and a SIGCHLD arriving while busybox's `read` waits makes `read`
 * fail and throw away the part of the line it had already taken (seen: a command line cut to its
 * last four bytes when a spawned command ended). PID 1 only waits, and starts the loop again
 * should it ever end.
 */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mkdir -p /proc /sys /dev /tmp /root /run
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r module; do
  insmod "$module" || echo "GUEST: insmod $module failed"
done < ${MODULE_LIST_PATH}
[ -f ${INIT_SCRIPT_PATH} ] && sh ${INIT_SCRIPT_PATH}
stty -F /dev/ttyS0 raw -echo
stty -F /dev/ttyS1 raw -echo
dmesg -n 1
echo "${READY_MARKER} uptime=$(cut -d' ' -f1 /proc/uptime)"
while :; do sh ${SHELL_LOOP_PATH} </dev/ttyS0 >/dev/ttyS0 2>&1; done
`;

/**
 * The command loop: one line per command, `<id> <base64 of the command>` (base64 so that quotes,
 * newlines and binary-looking text pass unchanged). The command runs in a subshell with stdin on
 * /dev/null (it must not eat the next command lines); stdout and stderr both reach the console.
 * fd 3 keeps ttyS1 open all the time: its receive side stays on, so bytes the host sends before a
 * reader starts wait in the tty's buffer instead of being lost when the port is opened again.
 */
export const GUEST_SHELL_LOOP = `exec 3<>/dev/ttyS1
while IFS= read -r line; do
  id=\${line%% *}
  command=$(printf '%s' "\${line#* }" | base64 -d)
  printf '${BEGIN_MARKER}%s\\n' "$id"
  ( eval "$command" ) </dev/null 2>&1
  status=$?
  printf '\\n${END_MARKER}%s:%s\\n' "$id" "$status"
done
`;
