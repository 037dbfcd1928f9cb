"""Operations: Prometheus metrics for the operators and an operations page for the DCC helpdesk.

The top floor: it reads every app below it and no app reads it.
"""
