"""contract-rules."""
