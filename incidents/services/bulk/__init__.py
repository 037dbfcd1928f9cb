"""Bulk uploads: the job (``jobs``), the file (``files``), its rows (``rows``) and one handler per
kind (``raising``, ``answering``, ``lodging``). Modules import each other absolutely: ``raising``
here is not ``incidents.services.raising``."""
