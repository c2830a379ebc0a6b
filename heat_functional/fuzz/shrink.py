"""A finding reduced to a minimal case that still shows it.

``shrink(case, still_differs)`` removes, one dimension after another,
what the difference does not need: update steps and the stack-action
suites after them, resources, outputs,
``depends_on`` entries, properties, resource keys (condition,
deletion_policy, update_policy, metadata), conditions (each kept
resource and output made unconditional), parameters (each use
inlined with the value the step passed or the default), and the
resources of provider templates. Each dimension is reduced by delta
debugging (Zeller and Hildebrandt's ddmin: try dropping halves, then
quarters, ... of what is left, keep any drop after which the case still
shows the difference), and the passes repeat until none removes
anything more, so the result is 1-minimal in each dimension: dropping
any single component more loses the difference.

Every candidate is made by edit.py, which keeps the template valid
(removing a resource rewrites what names it), and, when the schemas are
given, a candidate with a structural problem (validity.py) is not tried.
`still_differs(case)` is the caller's: the next sitting's runner
creates fresh stacks on both paths and compares; the unit tests use
synthetic predicates. Results are cached by the candidate's JSON, and
``budget`` bounds the number of calls.

Why delta debugging and not Hypothesis's shrinker: a test here is two
real Heat runs (tens of seconds each), so the number of tests must be
small and visible, and ddmin's is bounded (about n log n calls for one
component in n, n squared at worst) where Hypothesis decides its own
budget. Hypothesis shrinks the choice sequence its own strategies drew,
so it would need the whole generator rewritten as strategies and would
shrink toward "simpler draws", not toward fewer resources and steps;
ddmin works on the template's own structure, which is what a Heat bug
report needs. And a case is replayed from ``--seed S --case K`` with
our own seeding (generate.case_random), which Hypothesis's database of
examples would not give.
"""

import copy
import json

from heat_functional.fuzz import edit
from heat_functional.fuzz import validity

RESOURCE_KEYS = ('condition', 'deletion_policy', 'update_policy',
                 'metadata')


class Budget(Exception):
    """The shrinker made as many calls as it was allowed."""


def shrink(case, still_differs, schemas=None, budget=500):
    """The smallest case found that still differs, and how many times
    `still_differs` ran: (case, calls)."""
    tester = _Tester(still_differs, schemas, budget)
    current = case
    try:
        changed = True
        while changed:
            changed = False
            for dimension in DIMENSIONS:
                components = dimension(current)
                if not components:
                    continue
                kept = ddmin(components, lambda keep: tester(
                    remove(current, [c for c in components
                                     if c not in keep])))
                if len(kept) < len(components):
                    current = remove(current, [c for c in components
                                               if c not in kept])
                    changed = True
    except Budget:
        pass
    return current, tester.calls


class _Tester(object):
    def __init__(self, predicate, schemas, budget):
        self.predicate = predicate
        self.schemas = schemas
        self.budget = budget
        self.calls = 0
        self.seen = {}

    def __call__(self, candidate):
        key = json.dumps(candidate, sort_keys=True)
        if key in self.seen:
            return self.seen[key]
        if self.schemas is not None and \
                validity.case_problems(candidate, self.schemas):
            self.seen[key] = False
            return False
        if self.calls >= self.budget:
            raise Budget()
        found = bool(self.predicate(candidate))  # may raise Budget
        self.calls += 1
        self.seen[key] = found
        return found


def ddmin(components, interesting):
    """A 1-minimal sublist of `components` (in their order) for which
    interesting(sublist) holds, given that it holds for all of them."""
    kept = list(components)
    granularity = 2
    while len(kept) >= 1:
        chunks = _split(kept, min(granularity, len(kept)))
        reduced = False
        for number in range(len(chunks)):
            rest = [c for i, chunk in enumerate(chunks) if i != number
                    for c in chunk]
            if interesting(rest):
                kept = rest
                granularity = max(granularity - 1, 2)
                reduced = True
                break
        if not reduced:
            if granularity >= len(kept):
                break
            granularity = min(granularity * 2, len(kept))
        if not kept:
            break
    return kept


def _split(items, parts):
    size, extra = divmod(len(items), parts)
    chunks, start = [], 0
    for number in range(parts):
        end = start + size + (1 if number < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


# -- the dimensions: what a case is made of ------------------------------

def _templates(case):
    return [step['template'] for step in case['steps']]


def _union(case, collect):
    found = set()
    for template in _templates(case):
        found.update(collect(template))
    return sorted(found)


def steps(case):
    """The update steps, and the suites (stack actions) after them."""
    return [('step', step['name']) for step in case['steps'][1:]] + [
        ('suite', name) for name in case.get('suites') or ()]


def resources(case):
    return [('resource', name) for name in _union(
        case, lambda t: t.get('resources') or {})]


def outputs(case):
    return [('output', name) for name in _union(
        case, lambda t: t.get('outputs') or {})]


def dependencies(case):
    return [('dependency', pair) for pair in _union(case, lambda t: [
        (name, target) for name, d in (t.get('resources') or {}).items()
        for target in edit.depends_on(d)])]


def properties(case):
    return [('property', pair) for pair in _union(case, lambda t: [
        (name, prop) for name, d in (t.get('resources') or {}).items()
        for prop in (d.get('properties') or {})])]


def resource_keys(case):
    return [('key', pair) for pair in _union(case, lambda t: [
        (name, key) for name, d in (t.get('resources') or {}).items()
        for key in RESOURCE_KEYS if key in d])]


def conditions(case):
    return [('condition', name) for name in _union(
        case, lambda t: t.get('conditions') or {})]


def parameters(case):
    return [('parameter', name) for name in _union(
        case, lambda t: t.get('parameters') or {})]


def provider_resources(case):
    found = set()
    for step in case['steps']:
        for type_name, provider in step['providers'].items():
            found.update((type_name, name) for name in
                         provider.get('resources') or {})
    return [('provider-resource', pair) for pair in sorted(found)]


DIMENSIONS = (steps, resources, outputs, dependencies, provider_resources,
              properties, resource_keys, conditions, parameters)


def remove(case, components):
    """A copy of the case without the given components."""
    changed = copy.deepcopy(case)
    gone_steps = {name for kind, name in components if kind == 'step'}
    changed['steps'] = [s for s in changed['steps']
                        if s['name'] not in gone_steps]
    gone_suites = {name for kind, name in components if kind == 'suite'}
    if 'suites' in changed:
        changed['suites'] = [s for s in changed['suites']
                             if s not in gone_suites]
    for step in changed['steps']:
        for kind, what in components:
            if kind not in ('step', 'suite'):
                EDITS[kind](step, what)
        _drop_unused_providers(step)
    return changed


def _edit_template(function):
    def apply(step, what):
        args = what if isinstance(what, tuple) else (what,)
        step['template'] = function(step['template'], *args)
    return apply


def _parameter(step, name):
    definition = (step['template'].get('parameters') or {}).get(name)
    if definition is None:
        return
    value = step['parameters'].pop(name, definition.get('default'))
    step['template'] = edit.without_parameter(step['template'], name,
                                              value)


def _provider_resource(step, what):
    type_name, name = what
    if type_name in step['providers']:
        step['providers'][type_name] = edit.without_resource(
            step['providers'][type_name], name)


def _drop_unused_providers(step):
    used = set()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and node in step['providers'] and \
                node not in used:
            used.add(node)
            walk(step['providers'][node])
    walk(step['template'])
    step['providers'] = {k: v for k, v in step['providers'].items()
                         if k in used}


EDITS = {
    'resource': _edit_template(edit.without_resource),
    'output': _edit_template(edit.without_output),
    'dependency': _edit_template(edit.without_dependency),
    'property': _edit_template(edit.without_property),
    'key': _edit_template(edit.without_key),
    'condition': _edit_template(edit.without_condition),
    'parameter': _parameter,
    'provider-resource': _provider_resource,
}
