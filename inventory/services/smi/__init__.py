"""Loading an SMI extract into the Devices table. Import from here (or from
``inventory.services``); the split is by concern: ``load`` (the entry point and the writer
chosen by the database), ``rows`` (the file's columns, its header and the checks of a row),
``stream`` (the pass over the file, its hot loop), ``writers`` (the ORM writer),
``copy_writer`` (the PostgreSQL writer), ``report`` (what a load tells its caller)."""

from .load import smi_load_csv
from .report import REPORTED_ISSUES, SmiLoadError, SmiLoadReport, SmiRowIssue, SmiStatusChange
from .rows import REJECT_FILE_HEADER, SMI_COLUMNS

__all__ = [
    "REJECT_FILE_HEADER",
    "REPORTED_ISSUES",
    "SMI_COLUMNS",
    "SmiLoadError",
    "SmiLoadReport",
    "SmiRowIssue",
    "SmiStatusChange",
    "smi_load_csv",
]
