"""Failed alike: pairs held to parity only that failed the same way.

A step whose sidecar declares no ``expect`` (a template without a
sidecar, an update without ``expect``) is held only to parity unless
``--strict`` is given: when both paths end in the same state, a failure
included, the pair is equal and the gate passes on it. Such a pair is a
parity result, not a success of the template, so the report lists it
apart (``failed_alike``), with the state and Heat's reason on each path.
A pair where only one path failed is a difference like any other, and
a step whose failure was declared (``expect: {status: CREATE_FAILED}``)
ended as declared: neither is listed here.
"""


def is_failure(status):
    """Whether a stack's ``ACTION_STATUS`` says its action failed: a
    FAILED status, or a rollback (which follows a failed action)."""
    status = status or ''
    return status.endswith('_FAILED') or status.startswith('ROLLBACK_')


def failed_alike(cases, entries, sides):
    """One row per parity entry of `entries` that is equal or allowed,
    whose step on both paths (`sides`: legacy and convergence path), in
    every repetition, was held to parity only and ended in a failure:
    template, scenario, the status and Heat's reason (``heat_reason``)
    on each path (its first run's, with --repeat)."""
    if not sides:
        return []
    runs = {}
    for case in cases:
        runs.setdefault((case['template'], case['scenario'],
                         case.get('path')), []).append(case)
    rows = []
    for entry in entries:
        if entry.get('incomplete') or not (entry['equal'] or
                                           entry['allowed']):
            continue
        pair = [runs.get((entry['template'], entry['scenario'], path))
                for path in sides]
        if not all(side and all(map(_held_to_parity_and_failed, side))
                   for side in pair):
            continue
        rows.append({
            'template': entry['template'], 'scenario': entry['scenario'],
            'status': {path: side[0]['observation']['stack']
                       for path, side in zip(sides, pair)},
            'reasons': {path: side[0].get('heat_reason')
                        for path, side in zip(sides, pair)},
        })
    return rows


def _held_to_parity_and_failed(case):
    """Whether a case passed held to parity only (its sidecar declares
    no expect) and its stack ended in a failure."""
    observed = case.get('observation') or {}
    return (case.get('outcome') == 'passed' and
            case.get('held_to_parity_only') and
            is_failure(observed.get('stack')))
