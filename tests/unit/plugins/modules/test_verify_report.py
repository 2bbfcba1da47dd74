# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the report rendering of mountkit.aws.verify_report."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mountkit.aws.plugins.modules import verify_report

RESULTS = [
    dict(host='web1', backend='s3fs', path='/mnt/a b', check='mount_flags', status='pass', detail='', details=None),
    dict(host='web1', backend='s3fs', path='/mnt/a b', check='io_semantics', status='fail',
         detail='append: expected ok, got EIO', details={'append': 'EIO'}),
    dict(host='web2', backend='efs', path='/mnt/efs', check='io_semantics', status='skipped',
         detail='read-only mount', details=None),
]


def test_summary_has_a_header_and_one_aligned_line_per_result():
    lines = verify_report.summary_table(RESULTS)
    assert lines[0].split() == ['host', 'backend', 'path', 'check', 'status', 'detail']
    assert len(lines) == 4
    assert lines[2].endswith('fail     append: expected ok, got EIO')
    # Columns line up: every status starts at the same offset, and so does every detail.
    offsets = set(line.index(status) for line, status in zip(lines[1:], ('pass', 'fail', 'skipped')))
    assert len(offsets) == 1
    details = set(line.index(detail) for line, detail in zip([lines[0]] + lines[2:], ('detail', 'append', 'read-only')))
    assert len(details) == 1


def test_junit_has_one_testcase_per_result_with_failures_and_skips():
    suite = verify_report.junit_tree(RESULTS, 'mountkit-verify').getroot().find('testsuite')
    assert suite.get('tests') == '3'
    assert suite.get('failures') == '1'
    assert suite.get('skipped') == '1'
    cases = suite.findall('testcase')
    assert [case.get('classname') for case in cases] == ['web1.s3fs', 'web1.s3fs', 'web2.efs']
    assert cases[0].get('name') == '/mnt/a b mount_flags'
    assert cases[1].find('failure').get('message') == 'append: expected ok, got EIO'
    assert '"append": "EIO"' in cases[1].find('failure').text
    assert cases[2].find('skipped') is not None


def test_summary_text_is_the_table_and_the_counts_without_trailing_blanks():
    text = verify_report.summary_text(RESULTS, {'pass': 1, 'fail': 1, 'skipped': 1})
    lines = text.split('\n')
    assert lines[:-1] == [line.rstrip() for line in verify_report.summary_table(RESULTS)]
    assert lines[-1] == '1 pass, 1 fail, 1 skipped'
    assert all(line == line.rstrip() for line in lines)
