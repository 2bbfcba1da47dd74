"""What a test does when a real part it needs is missing here.

Under CI (CI=true) or with MOUNTKIT_REQUIRE_REAL=1 a missing real part (root, FUSE, Docker, the systemd image,
the mount-s3 build, the VM) fails the test that needs it, naming the part: a run must never go green without
mounting anything. Elsewhere the test is skipped, and tests/conftest.py lists every skip at the end.
"""

import os

import pytest

REQUIRE_REAL = (os.environ.get("CI", "").lower() in ("1", "true", "yes")
                or os.environ.get("MOUNTKIT_REQUIRE_REAL", "") == "1")


def require_real(part, reason=""):
    """Stop a test that needs a real part that is missing: a failure naming it under CI, else a skip."""
    message = "real part missing: %s%s" % (part, (" (%s)" % reason) if reason else "")
    if REQUIRE_REAL:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
