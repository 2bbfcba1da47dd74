# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mount points the container checks and the recovery look at."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mountkit.aws.plugins.filter.mounted_paths import mounted_paths


def test_mounted_entries_each_path_once_in_order():
    s3fs = [{'path': '/srv/a'}, {'path': '/srv/gone', 'state': 'absent'}, {'path': '/srv/b', 'state': 'mounted'}]
    mountpoint = [{'path': '/srv/c', 'state': 'present'}, {'path': '/srv/a'}]
    efs = [{'path': '/mnt/efs'}]
    assert mounted_paths([s3fs, mountpoint, efs]) == ['/srv/a', '/srv/b', '/mnt/efs']


def test_nothing_managed():
    assert mounted_paths([[], [], []]) == [] and mounted_paths(None) == [] and mounted_paths([None]) == []
