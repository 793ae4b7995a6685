"""Figures (matplotlib, Agg) and reports."""
