"""Unit tests of run tags and of the clean-up's choices.

Every stack the harness creates carries the prefix tag and its run's tag;
the run id is made once and passed on through the environment, and a
malformed one is refused. ``cleanup.select`` takes only the harness's
root stacks (name prefix and tag both), of one run if asked; it keeps,
saying why, every stack of a run alive on this machine and of a run one
of whose stacks changed (updated, else created) within the limit, and a
stack of no run that changed within it itself or has no time. The
command reports what it deleted, what it kept, what it could not delete
(DELETE_FAILED, Heat's refusal) with a non-zero status, deletes nothing
on a dry run, has nothing to do without a cloud, applies the default
limit only without ``--run``, refuses a ``--run`` that is alive, and
refuses minutes that are not a finite number of at least 0.
"""

import datetime
from unittest import mock

import pytest

from heat_functional import cleanup
from heat_functional import cli
from heat_functional import client
from heat_functional import config
from heat_functional import live_runs

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)


def stack(name, tags, created='2026-11-26T10:00:00Z', parent=None,
          status='CREATE_COMPLETE', updated=None):
    return {'id': 'id-' + name, 'stack_name': name, 'tags': tags,
            'parent': parent, 'creation_time': created,
            'updated_time': updated, 'stack_status': status}


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
    monkeypatch.setattr(client, '_NAMES', {})
    heat = mock.Mock()
    heat.stacks.create.return_value = {'stack': {'id': 's1'}}
    deployment = mock.Mock()
    deployment.client.return_value = heat
    client.StackDriver(deployment, 'legacy', 't').create('hf-t', {})
    assert heat.stacks.create.call_args.kwargs['tags'] == 'hf,hf-run-r7'


# -- selection ----------------------------------------------------------------

def chosen(*args, **kwargs):
    return names(cleanup.select(*args, now=NOW, **kwargs).chosen)


def kept(*args, **kwargs):
    return [(s['stack_name'], why) for s, why in
            cleanup.select(*args, now=NOW, **kwargs).kept]


def test_selects_only_the_harness_root_stacks():
    assert chosen(ALL) == names([OURS_A, OURS_B, OLD_STYLE])
    assert kept(ALL) == []


def test_selects_one_run():
    assert chosen(ALL, run='A') == names([OURS_A])
    assert chosen(ALL, run='Z') == []


def test_selects_by_the_last_change():
    # OURS_A was created 120 minutes ago, OURS_B 5; a stack without a
    # time is never old enough; an update counts as a change.
    undated = stack('hf-x-legacy-f1', ['hf', 'hf-run-F'], created=None)
    updated = stack('hf-x-legacy-g1', ['hf', 'hf-run-G'],
                    updated='2026-11-26T11:30:00Z')
    assert chosen(ALL + [undated, updated], older_than=60) == names(
        [OURS_A, OLD_STYLE])
    assert kept(ALL + [undated, updated], older_than=60) == [
        ('hf-group-legacy-b1',
         'its run changed 5 minutes ago, within --older-than 60'),
        ('hf-x-legacy-f1',
         'its run has a stack without a recorded time'),
        ('hf-x-legacy-g1',
         'its run changed 30 minutes ago, within --older-than 60')]
    assert chosen([OURS_B], older_than=4) == names([OURS_B])
    assert chosen([updated], older_than=29.5) == names([updated])


def test_one_recent_stack_keeps_its_whole_run():
    old = stack('hf-x-legacy-h1', ['hf', 'hf-run-H'])
    recent = stack('hf-y-legacy-h2', ['hf', 'hf-run-H'],
                   updated='2026-11-26T11:50:00Z')
    undated = stack('hf-z-legacy-h3', ['hf', 'hf-run-H'], created=None)
    assert chosen([old, recent], older_than=60) == []
    assert [n for n, why in kept([old, recent], older_than=60)] == names(
        [old, recent])
    assert chosen([old, recent], older_than=10) == names([old, recent])
    # A stack of the run without any time keeps the run, too.
    assert chosen([old, undated], older_than=1) == []
    # A stack of no run is judged on its own.
    untagged_recent = stack('hf-w-legacy-i1', ['hf'],
                            created='2026-11-26T11:59:00Z')
    assert chosen([OLD_STYLE, untagged_recent], older_than=60) == names(
        [OLD_STYLE])
    assert kept([untagged_recent], older_than=60) == [
        ('hf-w-legacy-i1',
         'it changed 1 minutes ago, within --older-than 60')]
    assert kept([dict(untagged_recent, creation_time=None)],
                older_than=60) == [('hf-w-legacy-i1',
                                    'it has no recorded time')]


def test_a_live_run_is_kept_whatever_its_age():
    live = {'A': [4242, 4343]}
    assert chosen(ALL, live=live) == names([OURS_B, OLD_STYLE])
    assert chosen(ALL, live=live, older_than=0) == names(
        [OURS_B, OLD_STYLE])
    assert kept(ALL, live=live) == [
        ('hf-group-legacy-a1',
         'run A is alive on this machine (pid 4242, 4343)')]


def test_the_last_change_reads_updated_then_created():
    assert cleanup.changed_at(OURS_A) == datetime.datetime(
        2026, 11, 26, 10, 0, tzinfo=datetime.timezone.utc)
    assert cleanup.changed_at(dict(OURS_A, updated_time=(
        '2026-11-26T10:30:00'))) == datetime.datetime(
        2026, 11, 26, 10, 30, tzinfo=datetime.timezone.utc)
    assert cleanup.changed_at(dict(OURS_A, creation_time='garbage')) is None


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


@pytest.fixture(autouse=True)
def registry(tmp_path, monkeypatch):
    """A registry of live runs of the test's own, and a fixed clock."""
    monkeypatch.setenv(config.LIVE_RUNS_ENV, str(tmp_path / 'live'))
    monkeypatch.setattr(cleanup, 'utc_now', lambda: NOW)


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
    status, output = run(parse('--cloud', 'legacy=dev', '--older-than',
                               '0'))
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


def test_without_run_the_default_limit_keeps_recent_runs(cloud):
    heat, outcomes = cloud
    status, output = run(parse('--cloud', 'legacy=dev'))
    assert status == 0
    assert 'cloud dev: 7 stacks tagged \'hf\', 2 selected, 1 kept' in output
    assert ('kept hf-group-legacy-b1 (id-hf-group-legacy-b1, '
            'CREATE_COMPLETE, run B, created 2026-11-26T11:55:00Z): its run '
            'changed 5 minutes ago, within --older-than %d'
            % config.CLEANUP_OLDER_THAN) in output
    assert 'deleted hf-group-legacy-a1' in output
    assert 'deleted hf-group-legacy-c1' in output
    # --run names the run: no limit unless one is given.
    status, output = run(parse('--cloud', 'legacy=dev', '--run', 'B'))
    assert 'deleted hf-group-legacy-b1' in output
    status, output = run(parse('--cloud', 'legacy=dev', '--run', 'B',
                               '--older-than', '10'))
    assert '0 selected, 1 kept' in output


def test_a_live_run_is_left_and_cannot_be_named(cloud, tmp_path):
    heat, outcomes = cloud
    outcomes['id-hf-group-legacy-a1'] = AssertionError('must not delete')
    with live_runs.register('A') as registration:
        status, output = run(parse('--cloud', 'legacy=dev', '--older-than',
                                   '0'))
        assert status == 0
        assert ('kept hf-group-legacy-a1 (id-hf-group-legacy-a1, '
                'CREATE_COMPLETE, run A, created 2026-11-26T10:00:00Z): '
                'run A is alive on this machine (pid %d)'
                % registration.pid) in output
        assert 'deleted hf-group-legacy-b1' in output
        heat.stacks.list.reset_mock()
        status, output = run(parse('--cloud', 'legacy=dev', '--run', 'A'))
        assert status == 2
        assert output == (
            'run A is alive on this machine (pid %d): its stacks are not '
            'touched; stop it, or wait until it ends' % registration.pid)
        assert not heat.stacks.list.called
    outcomes.clear()
    status, output = run(parse('--cloud', 'legacy=dev', '--run', 'A'))
    assert status == 0
    assert 'deleted hf-group-legacy-a1' in output


def test_a_run_recent_on_one_cloud_is_kept_on_every_cloud(cloud,
                                                          monkeypatch):
    heat, outcomes = cloud
    recent_b = stack('hf-group-convergence-a2', ['hf', 'hf-run-A'],
                     updated='2026-11-26T11:58:00Z')
    other = mock.Mock()
    other.stacks.list.return_value = [Listed(recent_b)]
    monkeypatch.setattr(cleanup.external.ExternalDeployment, 'client',
                        lambda self, path: other if path == 'convergence'
                        else heat)
    outcomes['id-hf-group-legacy-a1'] = AssertionError('must not delete')
    status, output = run(parse('--cloud', 'legacy=dev', '--cloud',
                               'convergence=dev2'))
    assert status == 0
    assert ('kept hf-group-legacy-a1 (id-hf-group-legacy-a1, '
            'CREATE_COMPLETE, run A, created 2026-11-26T10:00:00Z): its run '
            'changed 2 minutes ago, within --older-than 60') in output
    assert ('kept hf-group-convergence-a2 (id-hf-group-convergence-a2, '
            'CREATE_COMPLETE, run A, created 2026-11-26T10:00:00Z, updated '
            '2026-11-26T11:58:00Z): its run changed 2 minutes ago') in output
    assert 'deleted hf-group-legacy-c1' in output


def test_a_cloud_that_cannot_be_listed_counts_as_left(cloud, monkeypatch):
    heat, outcomes = cloud
    broken = mock.Mock()
    broken.stacks.list.side_effect = RuntimeError('no route to host')
    monkeypatch.setattr(cleanup.external.ExternalDeployment, 'client',
                        lambda self, path: broken if path == 'convergence'
                        else heat)
    status, output = run(parse('--cloud', 'legacy=dev', '--cloud',
                               'convergence=dev2', '--dry-run'))
    assert status == 1
    assert ('cloud dev2: cannot list stacks: RuntimeError: no route to '
            'host') in output
    assert 'would delete hf-group-legacy-a1' in output


def test_an_unusable_registry_stops_the_command(cloud, tmp_path):
    (tmp_path / 'live').write_text('')
    status, output = run(parse('--cloud', 'legacy=dev'))
    assert status == 2
    assert 'the registry of live runs %s is not a directory' % (
        tmp_path / 'live') in output


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


@pytest.mark.parametrize('minutes', ['soon', 'nan', 'NaN', 'inf',
                                     '-inf', '1e400', '-1', '-0.5', ''])
def test_older_than_must_be_finite_minutes(minutes, capsys):
    with pytest.raises(SystemExit) as exit:
        parse('--older-than=' + minutes)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert ("heat-functional cleanup: error: argument --older-than: "
            "expected minutes (a finite number of at least 0), got %r"
            % minutes) in err
    assert 'Traceback' not in err


def test_older_than_takes_minutes_and_defaults_to_none():
    assert parse('--older-than', '90').older_than == 90
    assert parse('--older-than', '0').older_than == 0
    assert parse('--older-than', '2.5').older_than == 2.5
    assert parse('--older-than', '1e300').older_than == 1e300
    assert parse().older_than is None
    assert cleanup.older_than(parse()) == config.CLEANUP_OLDER_THAN
    assert cleanup.older_than(parse('--run', 'A')) is None
    assert cleanup.older_than(parse('--run', 'A', '--older-than', '5')) == 5
