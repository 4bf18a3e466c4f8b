"""Scenario files and the pytest plugin that collects them.

May import: base, io, syntax, static, program, backends, run, queries, reports.
"""
