"""What each path's Heat logged about a finding's stacks.

A Heat bug report needs Heat's own words beside the two observations.
While a generated case runs, the executor notes where each path's Heat
log ends before and after every step (``span``: byte offsets of the
deployment's ``log_file``; targets without a readable log give none).
For a finding, ``excerpt`` reads that step's stretch of the log and
keeps the lines about the case's stacks:

- lines naming one of its stacks: the root's name (``hf-<case>-<path>-``
  starts every stack name of the case on that path, nested ones
  included, since Heat names a nested stack after its parent) or a
  stack id the step recorded;
- then every line of the same request (the ``req-...`` ids in the
  oslo.log context of the lines kept): the engine's whole action,
  resource by resource, with its warnings and tracebacks (oslo.log
  prefixes each traceback line with the request's context).

Other workers' cases write into the same log at the same time; their
lines name other stacks and other requests, so they stay out. At most
``LIMIT`` lines are kept, the last ones (where an action fails), and
the excerpt says how many it left out.
"""

import os
import re

from heat_functional import config

#: The most lines kept per path.
LIMIT = 400
#: The shortest stack name or id taken as a mark (a shorter one would
#: match lines of anything).
MARK_LENGTH = 8
#: The request ids of an oslo.log line's context: "[req-a req-b user ..."
CONTEXT = re.compile(r' \[([^\]]*)\] ')
REQUEST = re.compile(r'req-[0-9a-f-]{36}')


def offset(log_file):
    """Where `log_file` ends now (0 if it does not exist yet), or None
    for a target without a log."""
    if not log_file:
        return None
    try:
        return os.path.getsize(log_file)
    except OSError:
        return 0


def span(before, after):
    """The [start, end) byte span of a step, or None without a log."""
    if before is None or after is None:
        return None
    return [before, after]


def root_prefix(template_name, path):
    """How every stack name of a case on a path starts (case.stack_name
    names a root ``<prefix>-<template>-<path>-<hex>``)."""
    return re.sub(r'[^A-Za-z0-9_.-]', '-', '%s-%s-%s-' % (
        config.STACK_PREFIX, template_name, path))


def excerpt(log_file, step_span, marks, limit=LIMIT):
    """{'lines': [...], 'left_out': n} of `log_file` within `step_span`:
    the lines naming one of `marks` (stack names or ids) and those of
    their requests (module doc); None without a log or a span."""
    if not log_file or not step_span:
        return None
    lines = _read(log_file, *step_span)
    marks = [m for m in marks if m and len(m) >= MARK_LENGTH]
    requests = set()
    for line in lines:
        if any(mark in line for mark in marks):
            requests.update(_requests(line))
    kept = [line for line in lines
            if any(mark in line for mark in marks) or
            (requests and requests & set(_requests(line)))]
    left_out = max(0, len(kept) - limit)
    return {'lines': kept[left_out:], 'left_out': left_out}


def _requests(line):
    context = CONTEXT.search(line)
    return REQUEST.findall(context.group(1)) if context else []


def _read(log_file, start, end):
    """The whole lines of `log_file` between two byte offsets."""
    try:
        with open(log_file, 'rb') as f:
            f.seek(start)
            data = f.read(max(0, end - start))
    except OSError:
        return []
    return data.decode('utf-8', 'replace').splitlines()
