"""`docker run` arguments for a disposable systemd host, shared by the integration tests and bench/.

tools/demo.sh starts its host with the same flags (plus an inner Docker engine's).
"""

# systemd as PID 1 without --privileged: FUSE, mount rights, the host's cgroups and a tmpfs /run.
SYSTEMD_HOST_FLAGS = [
    "--cap-add", "SYS_ADMIN", "--device", "/dev/fuse",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--stop-signal", "SIGRTMIN+3",
]


def docker_run_args(name, image, extra=(), network="host"):
    """Arguments after `docker` that start the host detached, named name, with extra flags.

    network "host" lets the host reach an S3 server on 127.0.0.1; "none" gives it a network namespace of its
    own with only a loopback interface, where a test runs the servers the host needs (an instance metadata
    service at 169.254.169.254, for one).
    """
    return (["run", "-d", "--name", name, "--hostname", name, "--network", network] + SYSTEMD_HOST_FLAGS
            + list(extra) + [image, "/sbin/init"])
