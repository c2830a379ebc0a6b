"""Case records of a run's flip and migration evidence, for unit tests.

"The default may change" needs both toggles flipped and a stack
migrated (``accounting.evidence_blockers``); a test of a run that should
say yes adds these passing records to its own.
"""

from heat_functional import config


def record(suite, path, step, **extra):
    return dict({
        'id': 'test_%s[%s-%s]' % (suite, path, step), 'suite': suite,
        'template': 'flagged', 'scenario': '%s/%s' % (suite, step),
        'path': path, 'outcome': 'passed', 'message': None, 'stacks': [],
        'observation': None, 'parity': 'none', 'reference': None,
    }, **extra)


def records():
    """Passing flip cases on every toggle, and a migrated stack."""
    made = [record('flip', toggle, 'create') for toggle in config.TOGGLES]
    made.append(record('migrate', 'legacy', 'migrate',
                       migration={'migrated': True}))
    return made
