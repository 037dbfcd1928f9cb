"""The DCC helpdesk's view of incidents (search, filter, follow the timeline, reassign), their
events and the extra non-working days (``incidents``), the change list's rows
(``changelist``) and its page (``page``, ``page_parts``)."""

from . import incidents  # noqa: F401 (registers the pages)
from .incidents import IncidentPaginator  # noqa: F401 (the paginator's tests name it here)
