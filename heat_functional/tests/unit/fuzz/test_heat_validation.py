"""Generated templates pass Heat's own validation, where Heat is
installed (the functional tox environments; ``tox -e py3`` has no Heat
and skips this one test: the structural checks of test_fuzz_generate
run everywhere)."""

import json
import subprocess
import sys

import pytest


def test_generated_templates_pass_heats_validation(tmp_path):
    pytest.importorskip('heat')
    result = subprocess.run(
        [sys.executable, '-m', 'heat_functional.fuzz.heat_validation',
         '--seed', 'heat', '--count', '40',
         '--database', str(tmp_path / 'heat.db')],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report['refused'] == []
    limited = sum(report['limited'].values())
    # most templates were really checked, not left to a limit
    assert report['checked'] > limited
