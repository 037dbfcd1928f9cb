"""The addresses a Supplier receives its incident emails at, managed by its own administrators.

The DCC helpdesk can change them too, in the admin.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404

from ..models import Supplier, SupplierContact
from ..permissions import can_manage_contacts

logger = logging.getLogger(__name__)


class ContactError(Exception):
    """A change to the contact addresses that the rules refuse; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _lock_own_supplier(actor) -> Supplier:
    if not can_manage_contacts(actor):
        raise PermissionDenied("Only your organisation's administrators change its addresses.")
    # Locking the Supplier row serialises changes to its addresses: two administrators
    # removing the last two addresses at once cannot both succeed.
    return Supplier.objects.select_for_update().get(pk=actor.supplier_id)


def supplier_contact_add(*, actor, email: str) -> SupplierContact:
    """Add an address to the actor's organisation. The actor must be one of its administrators
    (``PermissionDenied``); an address already on the list is refused (``ContactError``)."""
    email = email.strip().lower()
    with transaction.atomic():
        supplier = _lock_own_supplier(actor)
        if supplier.contacts.filter(email__iexact=email).exists():
            raise ContactError(f"{email} already receives {supplier.name}'s emails.")
        try:
            with transaction.atomic():
                contact = SupplierContact.objects.create(supplier=supplier, email=email)
        except IntegrityError as exc:  # the unique constraint, should the check be bypassed
            raise ContactError(f"{email} already receives {supplier.name}'s emails.") from exc
    logger.info("Contact %s added to supplier %s by user %s", contact.pk, supplier.pk, actor.pk)
    return contact


def supplier_contact_remove(*, actor, contact_id: int) -> SupplierContact:
    """Remove one of the actor's organisation's addresses.

    ``PermissionDenied`` if the actor is not one of its administrators, ``Http404`` for an
    address of another organisation (missing and forbidden look the same), ``ContactError``
    when it is the last address: incident emails must always reach someone.
    """
    with transaction.atomic():
        supplier = _lock_own_supplier(actor)
        contact = supplier.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise Http404("No such contact address.")
        if supplier.contacts.count() <= 1:
            raise ContactError(
                f"{contact.email} is {supplier.name}'s only contact address: add another "
                "before removing it, so that incident emails still reach you."
            )
        contact.delete()
    logger.info("Contact %s removed from supplier %s by user %s", contact_id, supplier.pk, actor.pk)
    return contact
