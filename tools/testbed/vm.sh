#!/usr/bin/env bash
# Manage throwaway QEMU (TCG) VMs for the EFS/NFS tests. See README-vm.md.
#
#   vm.sh start NAME [--ssh-port P]   boot a fresh overlay, print the SSH port
#   vm.sh stop NAME                   power off (or kill) and remove the run dir
#   vm.sh ssh NAME [CMD...]           run a command in the guest as root
#   vm.sh status NAME                 exit 0 if running, 1 if not
#   vm.sh env NAME                    VM_SSH_PORT=... lines for inventories
#   vm.sh reboot NAME                 reboot the guest and wait for SSH
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
RUN_ROOT=${MOUNTKIT_RUN:-/run/mountkit}/vm
VM_MEMORY=${MOUNTKIT_VM_MEMORY:-2048}
VM_CPUS=${MOUNTKIT_VM_CPUS:-2}
BOOT_TIMEOUT=${MOUNTKIT_VM_BOOT_TIMEOUT:-420}
STOP_TIMEOUT=${MOUNTKIT_VM_STOP_TIMEOUT:-20}
VM_USER=root
VM_HOST=127.0.0.1

die() { echo "vm.sh: error: $*" >&2; exit 1; }
note() { echo "vm.sh: $*" >&2; }

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

run_dir() {
    [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid VM name '$1'"
    echo "$RUN_ROOT/$1"
}

# PID of the VM's qemu if it is alive. The command line must mention the run
# dir, so a recycled PID is never mistaken for (or killed as) our VM.
vm_pid() {
    local dir=$1 pid
    [[ -r $dir/vm.pid ]] || return 1
    pid=$(<"$dir/vm.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
    echo "$pid"
}

ssh_opts() { # ssh_opts DIR -> fills the SSH array
    local dir=$1 key port
    key=$(cat "$dir/ssh_key" 2>/dev/null) || true
    port=$(cat "$dir/ssh_port" 2>/dev/null) || true
    [[ -n $port ]] || die "no ssh port recorded in $dir"
    SSH=(ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
        -o LogLevel=ERROR -o ConnectTimeout=5 -o BatchMode=yes
        -i "$key" -p "$port" "$VM_USER@$VM_HOST")
}

serial_tail() {
    local dir=$1
    echo "--- last lines of $dir/serial.log ---" >&2
    tail -n 40 "$dir/serial.log" 2>/dev/null | tr -d '\r' >&2 || true
    echo "---" >&2
}

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

pick_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    die "no free TCP port found"
}

# wait_ssh DIR TIMEOUT [OLD_BOOT_ID]: until the guest runs a command over ssh
# (and, after a reboot, reports a different boot id). User-mode networking
# accepts TCP on the forwarded port before the guest listens, so only a real
# ssh round trip counts.
wait_ssh() {
    local dir=$1 timeout=$2 old_boot=${3:-} deadline boot
    deadline=$((SECONDS + timeout))
    ssh_opts "$dir"
    while ((SECONDS < deadline)); do
        vm_pid "$dir" >/dev/null || { note "qemu exited while waiting for ssh"; serial_tail "$dir"; return 1; }
        if boot=$(timeout 15 "${SSH[@]}" cat /proc/sys/kernel/random/boot_id 2>/dev/null) &&
            [[ -n $boot && $boot != "$old_boot" ]]; then
            return 0
        fi
        sleep 0.5
    done
    note "ssh did not answer within ${timeout} s"
    serial_tail "$dir"
    return 1
}

kill_vm() { # kill_vm DIR: TERM, then KILL; returns once the process is gone
    local dir=$1 pid
    pid=$(vm_pid "$dir") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        vm_pid "$dir" >/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        vm_pid "$dir" >/dev/null || return 0
        sleep 0.1
    done
    die "qemu pid $pid does not die"
}

cmd_start() {
    local name=${1:-} port="" dir image pid attempt err
    [[ -n $name ]] || usage
    shift
    while (($#)); do
        case $1 in
        --ssh-port) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--ssh-port needs a number"; port=$2; shift 2 ;;
        --ssh-port=*) port=${1#*=}; [[ $port =~ ^[0-9]+$ ]] || die "--ssh-port needs a number"; shift ;;
        *) die "unknown option '$1'" ;;
        esac
    done
    dir=$(run_dir "$name")
    if pid=$(vm_pid "$dir"); then
        die "VM '$name' is already running (pid $pid, ssh port $(cat "$dir/ssh_port" 2>/dev/null || echo '?')); stop it first: vm.sh stop $name"
    fi
    [[ -e $dir ]] && { note "removing stale run dir $dir"; rm -rf "$dir"; }

    image=${MOUNTKIT_VM_IMAGE:-}
    if [[ -z $image ]]; then
        image=$("$HERE/build-vm-image.sh" | tail -n 1)
    fi
    [[ -f $image/base.qcow2 ]] || die "no base.qcow2 in '$image'"

    local t0=$SECONDS
    mkdir -p "$dir"
    echo "$image" >"$dir/image"
    echo "$image/id_ed25519" >"$dir/ssh_key"
    qemu-img create -q -f qcow2 -b "$image/base.qcow2" -F qcow2 "$dir/run.qcow2"

    for attempt in 1 2 3 4 5; do
        local p=${port:-$(pick_port)}
        # -daemonize returns once qemu is set up; stdio goes to a log file so
        # callers capturing our output never wait on the VM.
        if qemu-system-x86_64 \
            -name "mountkit-$name" \
            -accel tcg,thread=multi -cpu max -M q35 \
            -smp "$VM_CPUS" -m "$VM_MEMORY" \
            -display none -nodefaults \
            -serial "file:$dir/serial.log" \
            -drive "file=$dir/run.qcow2,if=virtio,format=qcow2,cache=unsafe" \
            -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$p-:22" \
            -device virtio-net-pci,netdev=n0 \
            -device virtio-rng-pci \
            -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
            -append "root=/dev/vda rw console=ttyS0 net.ifnames=0" \
            -pidfile "$dir/vm.pid" -daemonize \
            </dev/null >"$dir/qemu.log" 2>&1; then
            echo "$p" >"$dir/ssh_port"
            break
        fi
        err=$(cat "$dir/qemu.log")
        # Port taken between the check and qemu's bind: retry on another one.
        if [[ -z $port && $err == *"host forwarding"* && $attempt -lt 5 ]]; then
            continue
        fi
        rm -rf "$dir"
        die "qemu failed to start: $err"
    done

    if ! wait_ssh "$dir" "$BOOT_TIMEOUT"; then
        kill_vm "$dir"
        die "VM '$name' did not boot; serial log kept in $dir/serial.log"
    fi
    note "VM '$name' ready in $((SECONDS - t0)) s (ssh port $(<"$dir/ssh_port"))"
    cat "$dir/ssh_port"
}

cmd_stop() {
    local name=${1:-} dir pid
    [[ -n $name ]] || usage
    dir=$(run_dir "$name")
    if pid=$(vm_pid "$dir"); then
        if [[ -s $dir/ssh_port ]]; then
            ssh_opts "$dir"
            # Graceful first, but never wait long: the overlay is thrown away.
            timeout 10 "${SSH[@]}" systemctl --no-block poweroff >/dev/null 2>&1 || true
            for _ in $(seq 1 $((STOP_TIMEOUT * 2))); do
                vm_pid "$dir" >/dev/null || break
                sleep 0.5
            done
        fi
        kill_vm "$dir"
        # qemu is daemonized, so init reaps it; give that a moment so no
        # zombie is left in the process table when we return.
        for _ in $(seq 1 50); do
            [[ -e /proc/$pid ]] || break
            sleep 0.1
        done
        note "VM '$name' stopped"
    else
        note "VM '$name' is not running"
    fi
    rm -rf "$dir"
}

cmd_ssh() {
    local name=${1:-} dir
    [[ -n $name ]] || usage
    shift
    dir=$(run_dir "$name")
    vm_pid "$dir" >/dev/null || die "VM '$name' is not running"
    ssh_opts "$dir"
    exec "${SSH[@]}" -- "$@"
}

cmd_status() {
    local name=${1:-} dir pid
    [[ -n $name ]] || usage
    dir=$(run_dir "$name")
    if pid=$(vm_pid "$dir"); then
        echo "running pid=$pid ssh_port=$(<"$dir/ssh_port") run_dir=$dir"
    else
        echo "stopped"
        return 1
    fi
}

cmd_env() {
    local name=${1:-} dir
    [[ -n $name ]] || usage
    dir=$(run_dir "$name")
    vm_pid "$dir" >/dev/null || die "VM '$name' is not running"
    printf 'VM_SSH_PORT=%q\n' "$(<"$dir/ssh_port")"
    printf 'VM_SSH_KEY=%q\n' "$(<"$dir/ssh_key")"
    printf 'VM_HOST=%q\n' "$VM_HOST"
    printf 'VM_USER=%q\n' "$VM_USER"
}

cmd_reboot() {
    local name=${1:-} dir old t0=$SECONDS
    [[ -n $name ]] || usage
    dir=$(run_dir "$name")
    vm_pid "$dir" >/dev/null || die "VM '$name' is not running"
    ssh_opts "$dir"
    old=$(timeout 15 "${SSH[@]}" cat /proc/sys/kernel/random/boot_id) || die "VM '$name' does not answer ssh"
    timeout 10 "${SSH[@]}" systemctl --no-block reboot >/dev/null 2>&1 || true
    wait_ssh "$dir" "$BOOT_TIMEOUT" "$old" || die "VM '$name' did not come back after reboot"
    note "VM '$name' rebooted in $((SECONDS - t0)) s"
}

cmd=${1:-}
(($#)) && shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
ssh) cmd_ssh "$@" ;;
status) cmd_status "$@" ;;
env) cmd_env "$@" ;;
reboot) cmd_reboot "$@" ;;
*) usage ;;
esac
