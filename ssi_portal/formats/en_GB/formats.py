"""British formats on the 24-hour clock, as the portal's pages write times ("1 Apr 2026 09:30").

Django's own en_GB formats write "9:30 a.m."; these take precedence where they are defined and
leave the rest (input formats among them) to Django's.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
