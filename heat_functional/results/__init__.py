"""The results of a run: from its case records to the report and verdict.

One room per question, each reading the case records (``records.py``)
that either runner wrote:

- ``accounting.py``: who ran, against the plan;
- ``pairing.py``: which cases are compared with which;
- ``entry.py``: the comparison entry, made in one place;
- ``repeats.py``: repeated runs, their noise and flaky differences;
- ``alike.py``: pairs that failed alike on both paths;
- ``verdict.py``: pass or fail, and what blocks the default;
- ``report.py``: report.json built (by both runners), written, read;
- ``table.py`` and ``htmlreport.py``: the report shown, as text and as
  a page; they decide nothing.
"""
