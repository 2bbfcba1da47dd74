"""The environment in which tests, bench/ and the demo run Ansible from a checkout."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv")


def ansible_env(**extra):
    """os.environ with the project's venv, collections and ansible.cfg, plain output, then extra."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=os.path.join(VENV, "collections"),
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=os.path.join(VENV, "bin") + os.pathsep + env.get("PATH", ""),
    )
    env.update(extra)
    return env
