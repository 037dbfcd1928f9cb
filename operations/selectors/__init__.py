"""Reads of the operations app: the portal's state, the beat jobs' runs, the last day's
activity and the readiness checks in words."""
