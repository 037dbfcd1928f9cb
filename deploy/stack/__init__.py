"""scripts/stack: a production-like stack on one machine, checked end to end (see run.py)."""
