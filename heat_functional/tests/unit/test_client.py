"""client.py: how Heat's answers read in a failed case, and polling."""

import json

import pytest
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc

from heat_functional import client
from heat_functional import config


def heat_error(cls, message, kind='StackValidationFailed'):
    body = {'explanation': 'The server could not comply.',
            'error': {'message': message, 'type': kind, 'traceback': None}}
    return cls(message=json.dumps(body))


def test_heat_message_quotes_heat_with_code_and_type():
    error = heat_error(heat_exc.HTTPBadRequest,
                       'The Resource Type (OS::No::Thing) could not be found.')
    assert client.heat_message(error) == (
        'Heat answered 400 (StackValidationFailed): The Resource Type '
        '(OS::No::Thing) could not be found.')


def test_heat_message_of_a_non_json_answer():
    error = heat_exc.HTTPInternalServerError(message='proxy error')
    assert client.heat_message(error) == 'Heat answered 500: proxy error'


def test_heat_message_of_a_connection_failure():
    error = ks_exc.ConnectFailure('refused')
    assert client.heat_message(error) == 'ConnectFailure: refused'


class FakeDeployment(object):
    def __init__(self):
        self.checked = []

    def client(self, path):
        return None

    def check_alive(self, path):
        self.checked.append(path)


def test_call_names_the_step_template_and_path():
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')

    def create(**fields):
        raise heat_error(heat_exc.HTTPBadRequest, 'bad template')
    with pytest.raises(client.HeatError) as raised:
        driver.call('create', create)
    assert str(raised.value) == ('create of group on legacy: Heat answered '
                                 '400 (StackValidationFailed): bad template')


def test_call_checks_the_cell_on_connection_failure():
    deployment = FakeDeployment()
    driver = client.StackDriver(deployment, 'convergence', 'group')

    def show():
        raise ks_exc.ConnectFailure('refused')
    with pytest.raises(client.HeatError, match='ConnectFailure'):
        driver.call('show', show)
    assert deployment.checked == ['convergence']


def test_poll_intervals_back_off_to_the_ceiling():
    intervals = client.poll_intervals()
    first = [next(intervals) for _ in range(12)]
    assert first[0] == config.STACK_POLL_FIRST
    assert all(b >= a for a, b in zip(first, first[1:]))
    assert first[-1] == config.STACK_POLL_MAX
