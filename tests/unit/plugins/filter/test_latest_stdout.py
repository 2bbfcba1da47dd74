# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version the mountpoint_s3 role plans with: the newest `mount-s3 --version` that succeeded."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mountkit.aws.plugins.filter.latest_stdout import latest_stdout

BEFORE = {'rc': 0, 'stdout': 'mount-s3 1.17.0', 'changed': False}
AFTER = {'rc': 0, 'stdout': 'mount-s3 1.24.0', 'changed': False}
MISSING = {'rc': 2, 'stdout': '', 'msg': '[Errno 2] No such file or directory', 'failed': False}
SKIPPED = {'skipped': True, 'changed': False, 'false_condition': 'mountpoint_s3__dnf is changed'}


@pytest.mark.parametrize('results, expected', [
    ([AFTER, BEFORE], 'mount-s3 1.24.0'),      # installed in this run: the new version
    ([SKIPPED, BEFORE], 'mount-s3 1.17.0'),    # nothing installed: the version read first
    ([{}, BEFORE], 'mount-s3 1.17.0'),         # install phase not run (tags): the version read first
    ([AFTER, MISSING], 'mount-s3 1.24.0'),     # fresh install
    ([MISSING, MISSING], ''),                  # still missing after the install
    ([SKIPPED, MISSING], ''),                  # missing, install off
    ([{}, {}], ''),
    ([{'rc': 0}], ''),
    ([], ''),
])
def test_latest_stdout(results, expected):
    assert latest_stdout(results) == expected
