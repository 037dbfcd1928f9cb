"""The demo's organisations and people: four Suppliers with a contact and an administrator
each, and the DCC helpdesk with its group of permissions."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from accounts.models import Supplier, SupplierContact, User

DEMO_PASSWORD = "ssi-demo-2026"  # noqa: S105 (published demo logins; the demo is for dev only)
HELPDESK_GROUP = "DCC helpdesk"


@dataclass(frozen=True)
class DemoSupplier:
    username: str
    name: str
    mpid: str
    gas_short_code: str
    user_id: str
    domain: str


SUPPLIERS = (
    DemoSupplier("aurora", "Aurora Energy", "AURA", "AUR", "90-B3-D5-1F-30-00-00-01", "aurora"),
    DemoSupplier(
        "brightwater", "Brightwater Power", "BRIG", "BRI", "90-B3-D5-1F-30-00-00-02", "brightwater"
    ),
    DemoSupplier(
        "cobalt", "Cobalt Gas & Power", "COBA", "COB", "90-B3-D5-1F-30-00-00-03", "cobalt"
    ),
    DemoSupplier("dunmore", "Dunmore Energy", "DUNM", "DUN", "90-B3-D5-1F-30-00-00-04", "dunmore"),
)
HELPDESK_USERNAME = "helpdesk"
DEMO_USERNAMES = {spec.name: spec.username for spec in SUPPLIERS}


def demo_supplier(spec: DemoSupplier) -> Supplier:
    supplier, _ = Supplier.objects.update_or_create(
        name=spec.name,
        defaults={
            "user_id": spec.user_id,
            "mpid": spec.mpid,
            "gas_short_code": spec.gas_short_code,
            "is_import_supplier": True,
            "is_gas_supplier": True,
        },
    )
    SupplierContact.objects.get_or_create(
        supplier=supplier, email=f"incidents@{spec.domain}.example"
    )
    return supplier


def demo_user(username: str, *, supplier: Supplier | None) -> User:
    domain = "dcc" if supplier is None else username
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@{domain}.example",
            "supplier": supplier,
            "first_name": username.capitalize(),
            "last_name": "Demo",
            "is_helpdesk": supplier is None,
            "is_staff": supplier is None,
            # Each demo Supplier's one user administers it (users, contact addresses).
            "is_supplier_admin": supplier is not None,
        },
    )
    if supplier is not None and not user.is_supplier_admin:
        user.is_supplier_admin = True
        user.save(update_fields=["is_supplier_admin"])
    # The printed password must work, even if someone changed it since the last run.
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_helpdesk() -> User:
    group, _ = Group.objects.get_or_create(name=HELPDESK_GROUP)
    group.permissions.set(_helpdesk_permissions())
    user = demo_user(HELPDESK_USERNAME, supplier=None)
    if user.supplier_id or not (user.is_helpdesk and user.is_staff):
        user.supplier, user.is_helpdesk, user.is_staff = None, True, True
        user.save(update_fields=["supplier", "is_helpdesk", "is_staff"])
    user.groups.add(group)
    return user


def _helpdesk_permissions() -> list[Permission]:
    """View and change on every model of the portal's apps, add on Suppliers, users and the
    inventory; no delete.
    django-axes' too: view to see who is locked out, change to lift a lockout."""
    wanted: set[tuple[int, str]] = set()
    for label in ("accounts", "inventory", "incidents", "notifications", "webhooks", "axes"):
        models = list(apps.get_app_config(label).get_models())
        for model, content_type in ContentType.objects.get_for_models(*models).items():
            actions = (
                ("view", "change", "add")
                if label in ("accounts", "inventory")
                else ("view", "change")
            )
            wanted.update(
                (content_type.pk, f"{action}_{model._meta.model_name}") for action in actions
            )
    content_types = {ct for ct, _ in wanted}
    return [
        perm
        for perm in Permission.objects.filter(content_type__in=content_types)
        if (perm.content_type_id, perm.codename) in wanted
    ]
