"""`docker run` arguments for a disposable systemd host, shared by the integration tests and bench/.

tools/demo.sh starts its host with the same flags (plus an inner Docker engine's).
"""

# systemd as PID 1 without --privileged: FUSE, mount rights, the host's cgroups, a tmpfs /run, and the
# host network so the host reaches an S3 server on 127.0.0.1.
SYSTEMD_HOST_FLAGS = [
    "--network", "host", "--cap-add", "SYS_ADMIN", "--device", "/dev/fuse",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--stop-signal", "SIGRTMIN+3",
]


def docker_run_args(name, image, extra=()):
    """Arguments after `docker` that start the host detached, named name, with extra flags."""
    return ["run", "-d", "--name", name, "--hostname", name] + SYSTEMD_HOST_FLAGS + list(extra) + [image, "/sbin/init"]
