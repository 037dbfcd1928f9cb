"""Render an email from templates/emails/<name>_subject.txt, _body.txt and _body.html."""

from django.template.loader import render_to_string


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    return subject, text, html
