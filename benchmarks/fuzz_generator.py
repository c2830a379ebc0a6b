#!/usr/bin/env python3
"""Benchmark: how fast the fuzzer generates cases, without Heat.

Generates ``--count`` cases of ``--seed`` (templates, providers and
lifecycles; heat_functional/fuzz/generate.py) from a schema file (by
default the unit tests' fixture, captured from Heat's own code), and
prints one JSON document: cases and templates (every step's template
and provider files) per second, the mean number of steps, resources
and providers per case, the share of time the structural checks
(validity.py) take, and the generator's share of a Heat run if a case
took ``--case-seconds`` on both paths (the generator's cost must stay
negligible beside Heat's). A rate, not a pass/fail: no timing is
asserted anywhere.

    python benchmarks/fuzz_generator.py [--count 500] [--seed 1]
        [--schemas FILE] [--case-seconds 60]
"""

import argparse
import json
import os
import time

from heat_functional import config
from heat_functional.fuzz import generate
from heat_functional.fuzz import schema
from heat_functional.fuzz import validity

FIXTURE = os.path.join(config.PACKAGE_DIR, 'tests', 'unit',
                       'fuzz_schemas.json')


def measure(schemas, seed, count):
    started = time.perf_counter()
    cases = [generate.case(schemas, seed, number)
             for number in range(count)]
    generated = time.perf_counter() - started
    started = time.perf_counter()
    problems = sum(len(validity.case_problems(case, schemas))
                   for case in cases)
    checked = time.perf_counter() - started
    templates = sum(1 + len(step['providers']) for case in cases
                    for step in case['steps'])
    return {
        'cases': count,
        'seconds': round(generated, 3),
        'cases_per_s': round(count / generated, 1),
        'templates_per_s': round(templates / generated, 1),
        'mean_steps': round(sum(len(c['steps']) for c in cases) / count, 2),
        'mean_resources': round(sum(
            len(c['steps'][0]['template'].get('resources') or {})
            for c in cases) / count, 2),
        'mean_providers': round(sum(
            len(c['steps'][0]['providers']) for c in cases) / count, 2),
        'check_seconds': round(checked, 3),
        'check_share': round(checked / (generated + checked), 3),
        'problems': problems,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=500)
    parser.add_argument('--seed', default='1')
    parser.add_argument('--schemas', default=FIXTURE)
    parser.add_argument('--case-seconds', type=float, default=60.0,
                        help='a case\'s time on both paths, for the '
                        'generator\'s share')
    args = parser.parse_args()
    result = measure(schema.load(args.schemas), args.seed, args.count)
    result['generator_share_of_a_case'] = round(
        (1.0 / result['cases_per_s']) / args.case_seconds, 6)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
