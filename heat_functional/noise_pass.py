"""The noise pass: learn noise cheaply when ``--repeat`` is not given.

Noise (results/noise.py) is what differs between two runs of the same
template, step and path; it takes two runs per path to see. Running
every lifecycle twice (``--repeat 2``) doubles the run; most templates
need nothing of it, since their paths agree. So after the run,
``heat-functional run`` and ``gate`` pick the templates whose create's
parity comparison differs, an allowance covering it or not
(``results.noise.second_pass_templates``), and run a second, narrow
pytest session: the lifecycle suite's create alone
(config.NOISE_PASS_STEP), once more per path, on fresh stacks, as
repetition 2 (config.NOISE_PASS_REPETITION: case ids such as
``test_lifecycle[name-create-legacy-r2]``, as ``--repeat`` makes
them). Its records go beside the run's, its cases are added to the
run's plan, and its pytest builds the report from all records; this
module then adds to that report what only the whole run knows
(``merge``).

The create alone is selected cleanly: the lifecycle suite's cases are
parametrised per step, and the stack a create leaves is deleted when
the session ends (the ``lifecycles`` fixture), as any stack a
cut-short lifecycle leaves. Later steps are not run again: a value
drawn at create stays with the stack, and results/noise.py carries the
create's noise to them.

The pass is a second pytest session, so on the embedded target it
starts its own deployment (the first session's stopped with it); on an
external target (and ``--target cloud``) it attaches to the same
clouds. ``--no-noise-pass`` turns it off; ``--repeat N`` above 1 needs
none. It runs only after a run that ended by itself (pytest exit
status 0 or 1, not interrupted); a Ctrl-C during it is handled as in
the run (the command passes it on; the report says ``interrupted``).
"""

import argparse
import dataclasses

from heat_functional import config
from heat_functional import run_spec
from heat_functional.results import accounting
from heat_functional.results import noise


def templates(args, report, status):
    """The templates whose create the noise pass runs again after a run
    that ended with pytest's `status` and `report`; [] for none."""
    if not getattr(args, 'noise_pass', True) or args.repeat > 1:
        return []
    if status not in (0, 1) or report.get('interrupted'):
        return []
    return noise.second_pass_templates(report)


def environment(env, chosen):
    """pytest's environment for the noise pass: the run's, with a spec
    that selects `chosen`'s create, as the noise pass."""
    spec = run_spec.RunSpec.from_json(env[config.RUN_SPEC_ENV])
    spec = dataclasses.replace(spec, only=','.join(chosen),
                               noise_pass=True)
    return run_spec.export(spec, dict(env))


def arguments(args, chosen):
    """The command line of the noise pass's pytest, from the run's: no
    ``-k`` (the spec selects its cases) and no more pytest-xdist
    workers than it has groups (a template's create on one path)."""
    changed = argparse.Namespace(**vars(args))
    changed.keyword = None
    if args.workers.isdigit() and args.workers != '0':
        changed.workers = str(min(int(args.workers),
                                  len(chosen) * len(args.paths)))
    return changed


def merge(first, final, first_status, chosen, duration_s):
    """The run's report: the one the noise pass built from all records
    (`final`), with what the run's own session measured (`first`): its
    duration plus the pass's, its performance, the resource types; the
    pass under ``noise_pass``; and, failing it, what the run's pytest
    exit status says that the records do not."""
    merged = dict(final)
    merged['noise_pass'] = {
        'templates': list(chosen), 'duration_s': round(duration_s, 1),
        'pytest_exit_status': final.get('pytest_exit_status'),
        'performance': final.get('performance')}
    merged['pytest_exit_status'] = first.get('pytest_exit_status')
    if first.get('duration_s') is not None:
        merged['duration_s'] = round(first['duration_s'] + duration_s, 3)
    for key in ('performance', 'resource_types'):
        if key in first:
            merged[key] = first[key]
    return merged, accounting.exit_status_problems(first_status,
                                                   merged['cases'])
