"""Flowdesk benchmarks: ``python -m bench [--only NAME]`` prints one JSON object per figure."""
