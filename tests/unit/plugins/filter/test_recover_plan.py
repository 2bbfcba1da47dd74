# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which containers recover_containers.yml starts anew, and how."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mountkit.aws.plugins.filter.recover_plan import recover_plan


def row(container, view, restart_policy='no', labels=None, path='/srv/s3', cid=None):
    return {'container': container, 'id': cid or container + '-id', 'pid': 100, 'view': view, 'path': path,
            'container_path': '/data', 'restart_policy': restart_policy, 'labels': labels or {},
            'detail': view + ' detail'}


ECS = {'com.amazonaws.ecs.cluster': 'prod', 'com.amazonaws.ecs.task-arn': 'arn:task/1'}


def test_each_view_to_recover_gets_the_action_that_starts_it_anew():
    plan = recover_plan([row('web', 'dead', labels=ECS), row('cron', 'stale', 'always'), row('tool', 'shadowed'),
                         row('ok', 'live'), row('gone', 'exited')])
    assert [(item['container'], item['action']) for item in plan] == [
        ('web', 'stop'), ('cron', 'stop_init'), ('tool', 'restart')]
    assert plan[0]['why'] == 'ECS task: the ECS agent replaces it'
    assert plan[1]['why'] == 'restart policy always: Docker starts it again'
    assert plan[2]['why'] == 'no restart policy: restarted in place'
    assert plan[0]['detail'] == 'dead detail' and plan[0]['container_path'] == '/data'
    assert 'labels' not in plan[0]


def test_an_ecs_task_is_stopped_even_with_a_restart_policy():
    assert recover_plan([row('web', 'dead', 'always', labels=ECS)])[0]['action'] == 'stop'


def test_a_container_binding_two_managed_paths_is_listed_once_with_the_first():
    plan = recover_plan([row('web', 'dead', path='/srv/a'), row('web', 'stale', path='/srv/b')])
    assert [(item['container'], item['path']) for item in plan] == [('web', '/srv/a')]


def test_only_the_views_asked_for():
    rows = [row('a', 'dead'), row('b', 'shadowed'), row('c', 'stale')]
    assert [item['container'] for item in recover_plan(rows, views=['shadowed'])] == ['b']


def test_every_label_must_match_key_alone_or_key_and_value():
    rows = [row('web', 'dead', labels=ECS), row('other', 'dead', labels={'com.amazonaws.ecs.cluster': 'test'}),
            row('plain', 'dead')]
    assert [item['container'] for item in recover_plan(rows, labels=['com.amazonaws.ecs.cluster'])] == ['web', 'other']
    assert [item['container'] for item in recover_plan(rows, labels=['com.amazonaws.ecs.cluster=prod'])] == ['web']
    assert [item['container'] for item in recover_plan(
        rows, labels=['com.amazonaws.ecs.cluster=prod', 'com.amazonaws.ecs.task-arn'])] == ['web']
    assert recover_plan(rows, labels=['com.amazonaws.ecs.cluster=prod', 'missing']) == []


def test_a_value_with_an_equals_sign_compares_whole():
    rows = [row('web', 'dead', labels={'cmd': 'a=b'})]
    assert len(recover_plan(rows, labels=['cmd=a=b'])) == 1
    assert recover_plan(rows, labels=['cmd=a']) == []


def test_nothing_found():
    assert recover_plan(None) == [] and recover_plan([]) == []
