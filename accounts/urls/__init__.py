"""URL confs of the accounts app, one per mount point (ssi_portal/urls.py): ``account`` at
/accounts/, ``users`` at /organisation/users/, ``organisation`` at /organisation/."""
