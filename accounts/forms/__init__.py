"""Forms of the accounts app, by page: ``account`` (signing in, one's own account and second
factor), ``users`` (an organisation's users), ``organisation`` (its contact addresses and
emails). They collect and shape input; the rules live in ``accounts.services``."""
