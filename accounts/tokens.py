"""The one-time token of an invitation's set-password link."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token with a salt of its own, so that an invitation token and a
    password-reset token are never interchangeable. It stops working once the password is set
    (the hash covers the password) and after ``PASSWORD_RESET_TIMEOUT``."""

    # The salt of links already sent: it keeps the name this class had in the inventory app.
    key_salt = "inventory.tokens.InvitationTokenGenerator"


invitation_token_generator = InvitationTokenGenerator()
