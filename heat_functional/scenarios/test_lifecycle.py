"""Create and delete every template of the corpus on every path.

Each case creates the stack, waits for it, records the observation,
checks the convergence flag of the root and of every nested stack against
the path, checks the declared status and outputs, deletes the stack and
waits until Heat no longer shows it.
"""

from heat_functional import client
from heat_functional import config
from heat_functional import observation


def test_create_delete(template, path, deployment, case):
    driver = client.StackDriver(deployment, path, template.name)
    body, files, environment = template.load()
    with case.timed('create'):
        stack_id = driver.create(case.stack_name(), body, files=files,
                                 parameters=template.parameters,
                                 environment=environment,
                                 tags=[config.STACK_PREFIX])
        case.track(driver, stack_id)
        stack = driver.wait(stack_id, 'CREATE', 'create')

    with case.timed('observe'):
        observed, tree = observation.observe(
            driver, stack_id, template.random_outputs, template.base_url)
    case.observation = observed
    with case.timed('flags'):
        problems = case.check_flags(deployment, stack_id, tree,
                                    expected=config.PATHS[path])

    status = '%s_%s' % (stack.action, stack.status)
    if status != template.expected_status:
        problems.insert(0, 'create of %s on %s ended %s, expected %s: %s'
                        % (template.name, path, status,
                           template.expected_status,
                           stack.stack_status_reason))
    expected_outputs = template.expected_outputs
    if expected_outputs is not None:
        for key, value in expected_outputs.items():
            actual = observed['outputs'].get(key, '<absent>')
            if actual != value:
                problems.append('output %s of %s on %s is %r, expected %r'
                                % (key, template.name, path, actual, value))
    case.require(problems)

    with case.timed('delete'):
        gone = driver.delete(stack_id)
    if gone is not None and gone.status != 'COMPLETE':
        case.require(['delete of %s on %s ended %s_%s: %s' % (
            template.name, path, gone.action, gone.status,
            gone.stack_status_reason)])
    case.measure_heat_time(deployment, stack_id)
