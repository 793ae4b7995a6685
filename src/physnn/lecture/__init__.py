"""The lecture, executable: one module per section, each returning text, figures and checked claims.

``physnn lecture`` runs them all and writes one report; see :mod:`physnn.lecture.report`.
"""

from physnn.lecture.report import SECTIONS, parse_sections, run_lecture, run_sections

__all__ = ["SECTIONS", "parse_sections", "run_lecture", "run_sections"]
