"""Reports: pure functions from results to text, JSON and HTML."""
