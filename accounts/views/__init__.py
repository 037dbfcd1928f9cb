"""Pages of the accounts app: ``account`` (signing in, one's own account and second factor),
``users`` (an organisation's users, for its administrators), ``organisation`` (its contact
addresses and the emails sent to it)."""
