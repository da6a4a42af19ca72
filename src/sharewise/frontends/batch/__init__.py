"""Batch checks: many cases from one file, each walked through the engine, reported in input order.

``sharewise check CASES`` runs :func:`run_check` (:mod:`~sharewise.frontends.batch.run`). Each case
is read by :mod:`sharewise.frontends.casefiles`, checked by
:class:`~sharewise.frontends.batch.check.Checker` and reported by
:mod:`~sharewise.frontends.batch.report`, and its record written, before the next is read.

Each case ends in one of three states, the same as ``decide --json``: ``decided``, ``incomplete``
(the next question, from :func:`sharewise.frontends.scripted.describe_walk`) or ``invalid`` (answers that
cannot be accepted, a tree that cannot be used, or a line or row that cannot be read). The exit
code reports the worst: 5 an invalid tree, then 4 an invalid case, then 3 an incomplete case, else
0. A record that cannot be written stops the batch (exit 1): carrying on would leave decisions
without their records.
"""

from __future__ import annotations

from sharewise.frontends.batch.check import Checker, Summary
from sharewise.frontends.batch.report import OUTPUT_FORMATS, format_summary
from sharewise.frontends.batch.run import BatchOptions, run_check

__all__ = ["OUTPUT_FORMATS", "BatchOptions", "Checker", "Summary", "format_summary", "run_check"]
