"""Unit tests of run tags and of the clean-up's choices.

Every stack the harness creates carries the prefix tag and its run's tag;
the run id is made once and passed on through the environment, and a
malformed one is refused. ``cleanup.select`` takes only the harness's
root stacks (name prefix and tag both), of one run if asked, older than
a limit if asked; the command reports what it deleted, what it could not
delete (DELETE_FAILED, Heat's refusal) with a non-zero status, deletes
nothing on a dry run, and has nothing to do without a cloud.
"""

import datetime
from unittest import mock

import pytest

from heat_functional import cleanup
from heat_functional import cli
from heat_functional import client
from heat_functional import config

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)


def stack(name, tags, created='2026-11-26T10:00:00Z', parent=None,
          status='CREATE_COMPLETE'):
    return {'id': 'id-' + name, 'stack_name': name, 'tags': tags,
            'parent': parent, 'creation_time': created,
            'stack_status': status}


OURS_A = stack('hf-group-legacy-a1', ['hf', 'hf-run-A'])
OURS_B = stack('hf-group-legacy-b1', ['hf', 'hf-run-B'],
               created='2026-11-26T11:55:00Z')
OLD_STYLE = stack('hf-group-legacy-c1', ['hf'])
UNTAGGED = stack('hf-group-legacy-d1', None)
OTHER_TAGS = stack('hf-group-legacy-e1', ['hf-run-A', 'mine'])
NOT_OUR_NAME = stack('production-db', ['hf', 'hf-run-A'])
NESTED = stack('hf-group-legacy-a1-group-xyz', ['hf', 'hf-run-A'],
               parent='id-' + OURS_A['stack_name'])
ALL = [OURS_A, OURS_B, OLD_STYLE, UNTAGGED, OTHER_TAGS, NOT_OUR_NAME,
       NESTED]


def names(stacks):
    return [s['stack_name'] for s in stacks]


# -- run ids and tags ---------------------------------------------------------

def test_run_id_is_made_once_and_kept_in_the_environment(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, '')   # undone after the test
    first = config.run_id()
    assert config.RUN_ID_PATTERN.match(first)
    assert config.run_id() == first
    assert config.stack_tags() == ['hf', 'hf-run-' + first]


def test_a_given_run_id_is_used_and_a_malformed_one_refused(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'ci-1234')
    assert config.stack_tags() == ['hf', 'hf-run-ci-1234']
    monkeypatch.setenv(config.RUN_ID_ENV, 'a,b')
    with pytest.raises(ValueError, match="run id 'a,b'"):
        config.run_id()


def test_every_stack_the_driver_creates_carries_the_run_tags(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'r7')
    heat = mock.Mock()
    heat.stacks.create.return_value = {'stack': {'id': 's1'}}
    deployment = mock.Mock()
    deployment.client.return_value = heat
    client.StackDriver(deployment, 'legacy', 't').create('hf-t', {})
    assert heat.stacks.create.call_args.kwargs['tags'] == 'hf,hf-run-r7'


# -- selection ----------------------------------------------------------------

def test_selects_only_the_harness_root_stacks():
    assert names(cleanup.select(ALL, now=NOW)) == names(
        [OURS_A, OURS_B, OLD_STYLE])


def test_selects_one_run():
    assert names(cleanup.select(ALL, run='A', now=NOW)) == names([OURS_A])
    assert cleanup.select(ALL, run='Z', now=NOW) == []


def test_selects_by_age():
    # OURS_A is 120 minutes old, OURS_B 5; a stack without a creation
    # time is never old enough.
    undated = stack('hf-x-legacy-f1', ['hf', 'hf-run-A'], created=None)
    chosen = cleanup.select(ALL + [undated], older_than=60, now=NOW)
    assert names(chosen) == names([OURS_A, OLD_STYLE])
    assert names(cleanup.select([OURS_B], older_than=4, now=NOW)) == names(
        [OURS_B])


def test_run_of_reads_the_run_tag():
    assert cleanup.run_of(OURS_B) == 'B'
    assert cleanup.run_of(OLD_STYLE) is None
    assert cleanup.run_of(UNTAGGED) is None


# -- the command --------------------------------------------------------------

def parse(*argv):
    return cli.build_parser().parse_args(['cleanup'] + list(argv))


class Listed(object):
    def __init__(self, info):
        self.id = info['id']
        self._info = info

    def to_dict(self):
        return dict(self._info)


@pytest.fixture
def cloud(monkeypatch):
    """One cloud listing ALL; deletes answered as `outcomes` says."""
    heat = mock.Mock()
    heat.stacks.list.return_value = [Listed(s) for s in ALL]
    outcomes = {}

    def delete(self, stack_id):
        outcome = outcomes.get(stack_id)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(cleanup.external, 'check_credentials',
                        lambda description: None)
    monkeypatch.setattr(cleanup.external.ExternalDeployment, 'client',
                        lambda self, path: heat)
    monkeypatch.setattr(client.StackDriver, 'delete', delete)
    return heat, outcomes


def run(args):
    lines = []
    status = cleanup.run(args, out=lines.append, err=lines.append)
    return status, '\n'.join(lines)


def test_deletes_the_selected_stacks(cloud):
    heat, outcomes = cloud
    status, output = run(parse('--cloud', 'legacy=dev', '--run', 'A'))
    assert status == 0
    assert 'cloud dev: 7 stacks tagged \'hf\', 1 selected' in output
    assert 'deleted hf-group-legacy-a1 (id-hf-group-legacy-a1' in output
    assert 'production-db' not in output
    assert heat.stacks.list.call_args.kwargs['tags'] == 'hf'


def test_dry_run_deletes_nothing(cloud):
    heat, outcomes = cloud
    outcomes['id-hf-group-legacy-a1'] = AssertionError('must not delete')
    status, output = run(parse('--cloud', 'legacy=dev', '--run', 'A',
                               '--dry-run'))
    assert status == 0
    assert 'would delete hf-group-legacy-a1' in output


def test_what_is_left_is_reported_and_fails_the_command(cloud):
    heat, outcomes = cloud
    outcomes['id-hf-group-legacy-a1'] = mock.Mock(
        stack_status='DELETE_FAILED',
        stack_status_reason='Resource DELETE failed: boom password=s3cret')
    outcomes['id-hf-group-legacy-b1'] = client.HeatError(
        'delete of hf-group-legacy-b1 on legacy: Heat answered 409: busy')
    status, output = run(parse('--cloud', 'legacy=dev'))
    assert status == 1
    assert ('NOT deleted hf-group-legacy-a1 (id-hf-group-legacy-a1, '
            'CREATE_COMPLETE, run A, created 2026-11-26T10:00:00Z): '
            'DELETE_FAILED: Resource DELETE failed: boom password=***'
            ) in output
    assert 'NOT deleted hf-group-legacy-b1' in output
    assert 'Heat answered 409: busy' in output
    assert 'deleted hf-group-legacy-c1' in output
    assert '2 stacks left' in output
    assert 's3cret' not in output


def test_each_cloud_is_cleaned_once(cloud):
    heat, outcomes = cloud
    status, output = run(parse('--cloud', 'legacy=dev', '--cloud',
                               'convergence=dev', '--toggle',
                               'flip-on=dev2', '--dry-run'))
    assert status == 0
    assert output.count('cloud dev:') == 1
    assert output.count('cloud dev2:') == 1


def test_without_a_cloud_there_is_nothing_to_do():
    status, output = run(parse())
    assert status == 0
    assert 'nothing to do' in output


@pytest.mark.parametrize('argv, message', [
    (['--cloud', 'other=dev'], "unknown path or toggle 'other'"),
    (['--cloud', 'legacy=dev', '--run', 'a b'], "run id 'a b'"),
])
def test_bad_options_are_named(argv, message):
    status, output = run(parse(*argv))
    assert status == 2
    assert message in output


def test_older_than_must_be_minutes():
    with pytest.raises(SystemExit):
        parse('--older-than', 'soon')
    assert parse('--older-than', '90').older_than == 90
