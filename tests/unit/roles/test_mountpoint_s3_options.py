"""Rendering of the mountpoint_s3 role's systemd unit and environment file, from the planner's arguments.

The templates use plain Jinja only, so they are rendered here with jinja2 and the settings of Ansible's
template module (trim_blocks), without a host. The options themselves are tested in test_mountpoint_s3_plan.py.
"""

import os
import shlex

import jinja2

from ansible_collections.mountkit.aws.plugins.module_utils import plan_mountpoint_s3 as planner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TEMPLATES = os.path.join(ROOT, "roles", "mountpoint_s3", "templates")

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def planned(mount):
    """The planner's view of one mount (validated, with its command-line arguments)."""
    settings = {'mountpoint_s3_mounts': [mount], 'mountpoint_s3_gpg_fingerprints': ['0' * 40],
                'mountpoint_s3_install_method': 'auto', 'mountpoint_s3_mount_method': 'systemd',
                'mountpoint_s3_verify_timeout': 10, 'mountpoint_s3_restart_sec': 5,
                'mountpoint_s3_binary': '/usr/bin/mount-s3', 'mountpoint_s3_fstab': '/etc/fstab',
                'mountpoint_s3_config_dir': '/etc/mountkit/mountpoint-s3'}
    result = planner.plan(settings, {'version': '1.16.2'})
    assert result['problems'] == []
    return result['mounts'][0]


def unit(mount, environment_file="", args=None):
    """The unit of a mount; args given directly render what the planner would refuse (quoting tests)."""
    if args is None:
        mount = planned(mount)
        args = mount['args']
    return ENV.get_template("mount-s3.service.j2").render(
        mount=mount,
        mount_args=args,
        mount_s3_binary="/usr/bin/mount-s3",
        fusermount="/usr/bin/fusermount",
        environment_file=environment_file,
        restart_sec=5,
    )


def unit_lines(text):
    """key -> list of values of a rendered unit file."""
    result = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            result.setdefault(key, []).append(value)
    return result


def test_unit_runs_forking_mount_s3_and_unmounts_with_fusermount():
    text = unit({"bucket": "logs", "path": "/mnt/logs", "prefix": "app/", "allow_delete": True})
    lines = unit_lines(text)
    assert lines["Type"] == ["forking"]
    assert lines["ExecStart"] == ["/usr/bin/mount-s3 --prefix=app/ --allow-delete logs /mnt/logs"]
    assert lines["ExecStop"] == ["/usr/bin/fusermount -u /mnt/logs"]
    assert lines["ExecStopPost"] == ["-/usr/bin/fusermount -u -z -q /mnt/logs"]
    assert lines["Restart"] == ["on-failure"]
    assert lines["After"] == ["network-online.target"] and lines["Wants"] == ["network-online.target"]
    assert lines["WantedBy"] == ["remote-fs.target"]
    assert lines["AssertPathIsDirectory"] == ["/mnt/logs"]
    assert "EnvironmentFile" not in lines
    assert "s3://logs/app/" in lines["Description"][0]


def test_unit_quotes_words_for_systemd():
    text = unit({"bucket": "b", "path": "/mnt/with space"}, environment_file="/etc/x/e.env",
                args=["--cache=/var/cache/100%", "--user-agent-prefix=$HOME"])
    lines = unit_lines(text)
    assert lines["EnvironmentFile"] == ["/etc/x/e.env"]
    exec_start = lines["ExecStart"][0]
    # systemd expands % and $, so both are doubled; a word with a blank is double-quoted.
    assert "--cache=/var/cache/100%%" in exec_start
    assert "--user-agent-prefix=$$HOME" in exec_start
    assert shlex.split(exec_start)[-1] == "/mnt/with space"
    assert lines["AssertPathIsDirectory"] == ["/mnt/with space"]


def test_environment_file_name_is_a_literal_glob_pattern():
    # systemd globs EnvironmentFile=, so the \x2d of an escaped unit name would otherwise read as 'x2d'.
    env_file = "/etc/mountkit/mountpoint-s3/mount-s3-srv-team\\x2da[1]?.env"
    lines = unit_lines(unit({"bucket": "b", "path": "/srv/team-a"}, environment_file=env_file, args=[]))
    assert lines["EnvironmentFile"] == ["/etc/mountkit/mountpoint-s3/mount-s3-srv-team\\\\x2da\\[1]\\?.env"]


def test_environment_file_escapes_values():
    text = ENV.get_template("mount-s3.env.j2").render(
        env_vars={"AWS_SECRET_ACCESS_KEY": 'a"b\\c$d', "AWS_ACCESS_KEY_ID": "AKIA"})
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ['AWS_ACCESS_KEY_ID="AKIA"', 'AWS_SECRET_ACCESS_KEY="a\\"b\\\\c\\$d"']
