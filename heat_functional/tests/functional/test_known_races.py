"""The races known-bugs.yaml lets the driver resend past are still Heat's.

Each ``resend`` entry names its evidence: ``tools/heat_races.py`` shows
the race against the installed Heat, through Heat's own code or over its
API on cells of its own, with no harness in between. When Heat fixes a
race, this test fails and says which entry should go, so that no resend
outlives the bug that justified it.
"""

import os
import subprocess
import sys

from heat_functional import known_bugs
from heat_functional.tests.functional import helpers

#: known-bugs.yaml id -> the heat_races.py command that shows it.
REPRODUCERS = {
    'yaql-parser-shared-by-threads': 'yaql',
    'legacy-update-stores-new-environment-with-old-template':
        'dropped-parameter',
}


def test_every_race_has_a_reproducer():
    races = {b['id'] for b in known_bugs.load() if b.get('resend')}
    assert races == set(REPRODUCERS)


def test_the_races_still_show_against_the_installed_heat():
    for bug, command in sorted(REPRODUCERS.items()):
        shown = subprocess.run(
            [sys.executable, os.path.join(helpers.ROOT, 'tools',
                                          'heat_races.py'), command],
            capture_output=True, text=True, timeout=300)
        assert shown.returncode == 0, (
            'the race %s no longer shows against this Heat: drop its '
            'entry from known-bugs.yaml if it stays so\n%s%s'
            % (bug, shown.stdout, shown.stderr))
