"""Data in, text out: JSON, text, HTML (templates), impact and vary-check
reports.

May import: base, syntax, static, program, run, queries.
"""
