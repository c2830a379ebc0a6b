"""The gabbits run with the harness's API timeout unless a test says
(here, not in the unit tests: gabbi is installed with Heat only)."""

import os

from heat_functional import config
from heat_functional.scenarios import test_gabbits

GABBITS = os.path.join(os.path.dirname(config.PACKAGE_DIR), 'gabbits')


def built(text, tmp_path, endpoint='http://127.0.0.1:1/v1/project'):
    path = tmp_path / 'one.yaml'
    path.write_text(text)
    return test_gabbits.Suite(str(path), 'legacy', endpoint, None)._build()


def test_certificates_are_checked_on_https_only(tmp_path):
    """Plain HTTP has none; gabbi's per-test client would load the CA
    bundle for nothing."""
    text = 'tests:\n- name: plain\n  GET: /stacks\n'
    assert built(text, tmp_path)['plain'].test_data['cert_validate'] is \
        False
    assert built(text, tmp_path, 'https://heat.example.org/v1/p')[
        'plain'].test_data['cert_validate'] is True


def test_every_request_gets_the_api_timeout_unless_it_says(tmp_path):
    tests = built('tests:\n'
                  '- name: plain\n  GET: /stacks\n'
                  '- name: patient\n  GET: /stacks\n  timeout: 300\n',
                  tmp_path)
    assert tests['plain'].test_data['timeout'] == config.API_TIMEOUT
    assert tests['patient'].test_data['timeout'] == 300


def test_the_shipped_gabbits_load_with_it():
    suite = test_gabbits.Suite(os.path.join(GABBITS, 'stacks.yaml'),
                               'legacy', 'http://127.0.0.1:1/v1/p', None)
    assert {t.test_data['timeout'] for t in suite._build().values()} == {
        config.API_TIMEOUT}
