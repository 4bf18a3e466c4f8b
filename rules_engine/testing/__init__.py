"""Scenario files and the pytest plugin that collects them.

May import: base, io, syntax, static, program, ir, backends, run, queries, reports.
"""
