"""Render an email from templates/emails/<name>_subject.txt, _body.txt and _body.html."""

from django.template.loader import render_to_string


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of one email. The three renders share ``email_memo``, a dict in
    which a tag that makes a value at render time (an invitation's link, whose token holds the
    current second) keeps it, so that every part of the email carries the same value."""
    context = {**context, "email_memo": {}}
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    return subject, text, html
