"""Generated templates and lifecycles (issue 16): the fuzzer's parts.

``schema`` (what the deployment offers), ``generate`` (a template from a
seed and a case number), ``lifecycles`` (its steps), ``validity`` (the
structural checks every generated template passes), ``shrink`` (a
finding reduced to a minimal case), ``signature`` (what a finding is,
and whether it is known) and ``writer`` (a case as a corpus entry).
doc/source/fuzz.rst describes the design.
"""
