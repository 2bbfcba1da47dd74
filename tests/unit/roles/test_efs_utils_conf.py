# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs-utils.conf editing of the efs role: the managed keys are set in place, the rest of the file is kept.

The template uses plain Jinja only, so it is rendered here with jinja2 and the settings of Ansible's template
module (trim_blocks), without a host. configparser then reads the result the way efs-utils does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser
import os

import jinja2

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'efs', 'templates')),
    trim_blocks=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

# Shaped like the file amazon-efs-utils ships: comments, DEFAULT, Region sections, a commented-out region.
SHIPPED = """\
#
# Copyright notice
#

[DEFAULT]
logging_level = INFO

[mount]
dns_name_format = {az}.{fs_id}.efs.{region}.{dns_name_suffix}
dns_name_suffix = amazonaws.com
#The region of the file system when mounting from on-premises or cross region.
#region = us-east-1
stunnel_cafile = /etc/amazon/efs/efs-utils.crt

# Define the port range that the TLS tunnel will choose from
port_range_lower_bound = 20049
port_range_upper_bound = 20449

retry_nfs_mount_command = true

[mount.cn-north-1]
dns_name_suffix = amazonaws.com.cn

[mount-watchdog]
enabled = true
poll_interval_sec = 1
unmount_grace_period_sec = 30

[cloudwatch-log]
# enabled = true
log_group_name = /aws/efs/utils
"""

SETTINGS = {
    'mount': {
        'region': 'eu-west-1',
        'fips_mode_enabled': False,
        'port_range_lower_bound': 20049,
        'port_range_upper_bound': 21049,
        'retry_nfs_mount_command': True,
        'retry_nfs_mount_command_count': 3,
    },
    'mount-watchdog': {'enabled': True, 'poll_interval_sec': 2},
}


def render(current, settings=None):
    return ENV.get_template('efs-utils.conf.j2').render(
        efs__config_current=current, efs__config_settings=SETTINGS if settings is None else settings)


def parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_managed_keys_are_set_and_the_rest_is_kept():
    text = render(SHIPPED)
    config = parse(text)
    assert config.get('mount', 'region') == 'eu-west-1'
    assert config.get('mount', 'port_range_upper_bound') == '21049'
    assert config.get('mount', 'fips_mode_enabled') == 'false'
    assert config.get('mount', 'retry_nfs_mount_command_count') == '3'
    assert config.get('mount-watchdog', 'poll_interval_sec') == '2'
    # Untouched: other keys, other sections, comments.
    assert config.get('mount', 'dns_name_format') == '{az}.{fs_id}.efs.{region}.{dns_name_suffix}'
    assert config.get('mount.cn-north-1', 'dns_name_suffix') == 'amazonaws.com.cn'
    assert config.get('mount-watchdog', 'unmount_grace_period_sec') == '30'
    assert config.get('cloudwatch-log', 'log_group_name') == '/aws/efs/utils'
    assert text.startswith('#\n# Copyright notice\n#\n\n[DEFAULT]\n')
    assert '#region = us-east-1\n' in text and '# enabled = true\n' in text


def test_keys_are_replaced_in_place_and_missing_ones_end_their_section():
    text = render(SHIPPED)
    mount = text.split('[mount]\n', 1)[1].split('\n[', 1)[0]
    assert mount.splitlines() == [
        'dns_name_format = {az}.{fs_id}.efs.{region}.{dns_name_suffix}',
        'dns_name_suffix = amazonaws.com',
        '#The region of the file system when mounting from on-premises or cross region.',
        '#region = us-east-1',
        'stunnel_cafile = /etc/amazon/efs/efs-utils.crt',
        '',
        '# Define the port range that the TLS tunnel will choose from',
        'port_range_lower_bound = 20049',
        'port_range_upper_bound = 21049',
        '',
        'retry_nfs_mount_command = true',
        # Added after the section's last line, before the blank line that separates it from the next.
        'region = eu-west-1',
        'fips_mode_enabled = false',
        'retry_nfs_mount_command_count = 3',
    ]
    assert '\nretry_nfs_mount_command_count = 3\n\n[mount.cn-north-1]\n' in text


def test_a_second_pass_changes_nothing():
    once = render(SHIPPED)
    assert render(once) == once


def test_nothing_changes_when_everything_is_set():
    settings = {'mount': {'dns_name_suffix': 'amazonaws.com'}, 'mount-watchdog': {'enabled': True}}
    assert render(SHIPPED, settings) == SHIPPED


def test_keys_match_without_case_and_spacing():
    text = render('[mount]\nPort_Range_Upper_Bound=1\n', {'mount': {'port_range_upper_bound': 21049}})
    assert text == '[mount]\nport_range_upper_bound = 21049\n'


def test_commented_keys_are_not_taken_for_keys():
    text = render('[mount]\n#region = us-east-1\n; region = x\n', {'mount': {'region': 'eu-west-1'}})
    assert text == '[mount]\n#region = us-east-1\n; region = x\nregion = eu-west-1\n'


def test_missing_sections_are_appended():
    text = render('[mount]\na = 1\n', {'mount': {'a': 1}, 'proxy': {'proxy_logging_level': 'INFO'}, 'empty': {}})
    assert text == '[mount]\na = 1\n\n[proxy]\nproxy_logging_level = INFO\n'


def test_a_fresh_file_holds_the_managed_keys_alone():
    text = render('')
    assert text == (
        '[mount]\nregion = eu-west-1\nfips_mode_enabled = false\nport_range_lower_bound = 20049\n'
        'port_range_upper_bound = 21049\nretry_nfs_mount_command = true\nretry_nfs_mount_command_count = 3\n'
        '\n[mount-watchdog]\nenabled = true\npoll_interval_sec = 2\n')
    assert parse(text).getboolean('mount-watchdog', 'enabled') is True


def test_trailing_blank_lines_and_missing_final_newline():
    assert render('[mount]\na = 0\n\n\n', {'mount': {'a': 1}}) == '[mount]\na = 1\n\n\n'
    assert render('[mount]\na = 0', {'mount': {'a': 1, 'b': 2}}) == '[mount]\na = 1\nb = 2\n'


def test_keys_before_any_section_are_left_alone():
    text = render('region = stray\n[mount]\n', {'mount': {'region': 'eu-west-1'}})
    assert text == 'region = stray\n[mount]\nregion = eu-west-1\n'
