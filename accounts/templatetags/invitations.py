"""The set-password link of an invitation email, made when the email is rendered for sending.

The outbox stores an email's context and renders it at delivery (notifications.services). Were
the link in the context, a live credential would sit in the outbox table and in the helpdesk's
view of it; here the context holds only the user's id and address, and the token exists only
in the message sent.
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ..models import User
from ..tokens import invitation_token_generator

register = template.Library()


@register.simple_tag(takes_context=True, name="invitation_link")
def invitation_link_once(context, user_id, email) -> str:
    """``{% invitation_link user_id email %}``: :func:`invitation_link`, made once per email
    (``email_memo``), so that its text and HTML parts give the same link even when the clock
    turns a second between their renders (the token holds the current second)."""
    memo = context.get("email_memo")
    key = ("invitation_link", str(user_id), str(email))
    if memo is not None and key in memo:
        return memo[key]
    link = invitation_link(user_id, email)
    if memo is not None:
        memo[key] = link
    return link


def invitation_link(user_id, email) -> str:
    """The absolute set-password link for an invited user, or "" once it has no use: the user
    chose a password, was deactivated, or has another address now (the email would go to the
    wrong person)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or user.email.lower() != str(email).lower():
        return ""
    path = reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )
    return settings.PORTAL_BASE_URL.rstrip("/") + path
