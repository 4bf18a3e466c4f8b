"""Helpers for the browser tests of the HTML reports (Debian's chromium, headless)."""
