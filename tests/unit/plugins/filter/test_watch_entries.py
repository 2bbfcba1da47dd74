# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mount_watch entries made from the storage roles' plans."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mountkit.aws.plugins.filter.watch_entries import watch_entries

S3FS = {'item': 's3fs', 'mounts': [
    {'path': '/srv/a', 'state': 'mounted', 'method': 'fstab',
     'expect': {'fstype': 'fuse.s3fs', 'source': 's3fs', 'options_present': ['allow_other'], 'propagation': 'shared'}},
    {'path': '/srv/old', 'state': 'absent'},
]}
MOUNTPOINT = {'item': 'mountpoint_s3', 'mounts': [
    {'path': '/srv/b', 'state': 'mounted', 'method': 'systemd', 'unit': 'mount-s3-srv-b.service',
     'expect': {'fstype': 'fuse', 'options_absent': ['rw']}},
]}
SKIPPED = {'item': 'efs', 'skipped': True}


def test_entries_with_expectations_and_healing_units():
    entries = watch_entries([S3FS, MOUNTPOINT, SKIPPED], mount_units={'/srv/a': 'srv-a.mount'})
    assert entries == [
        {'path': '/srv/a', 'backend': 's3fs', 'fstype': 'fuse.s3fs', 'source': 's3fs',
         'options_present': ['allow_other'], 'options_absent': [], 'propagation': 'shared', 'unit': 'srv-a.mount'},
        {'path': '/srv/b', 'backend': 'mountpoint_s3', 'fstype': 'fuse', 'source': '', 'options_present': [],
         'options_absent': ['rw'], 'propagation': 'any', 'unit': 'mount-s3-srv-b.service'},
    ]


def test_no_plans():
    assert watch_entries([]) == [] and watch_entries(None) == [] and watch_entries([SKIPPED]) == []
