"""Steps of the in-place migration test, each run in its own process against the scratch
database named by ``DATABASE_URL`` (``python -m tests.accounts.migrate_in_place_steps STEP``).

``build``: the schema of the portal before the accounts app (inventory 0011, incidents 0011,
notifications 0002 and the third-party apps' leaves), ``django_migrations`` as such a database
has it, and every kind of row written through the historical models of that schema.
``verify``: after ``manage.py migrate``, with the current code, what is still there and works.
Each prints one JSON object.
"""

import base64
import datetime as dt
import json
import os
import sys
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssi_portal.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from ssi_portal.lib.crypto import key_ring  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 (a test user's)
SECRET = bytes(range(20))  # the authenticator app's secret
BACKUP_CODE = "k7m2p9x4"
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639FF4C1E3F5F")
TODAY = {
    "inventory": "0011_lockout_lifted_security_event",
    "incidents": "0011_list_sort_indexes",
    "notifications": "0002_delivery_schedule_and_supplier",
}
# Apps such a database did not have yet: ``manage.py migrate`` adds them.
LATER_APPS = {"accounts", "api", "oauth2_provider", "webhooks", "operations"}
TABLES = [
    "inventory_supplier",
    "inventory_suppliercontact",
    "inventory_user",
    "inventory_user_groups",
    "inventory_user_user_permissions",
    "inventory_securityevent",
    "inventory_device",
    "inventory_registration",
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "auth_group",
    "auth_group_permissions",
    "django_admin_log",
    "incidents_incident",
    "incidents_incidentevent",
    "incidents_assignment",
    "incidents_lodgedcode",
    "incidents_bulkupload",
    "incidents_bulkrow",
    "incidents_raisetally",
    "notifications_notification",
]


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        result = {}
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (names above)
            result[table] = cursor.fetchone()[0]
    return result


def build() -> dict:
    executor = MigrationExecutor(connection)
    targets = [
        (app, TODAY.get(app, name))
        for app, name in executor.loader.graph.leaf_nodes()
        if app not in LATER_APPS
    ]
    executor.migrate(targets)
    # State only, and absent from a database of that time: gone from its history too.
    executor.recorder.migration_qs.filter(app="accounts").delete()
    apps = MigrationExecutor(connection).loader.project_state(targets).apps
    m = lambda label: apps.get_model(label)  # noqa: E731
    now = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)

    installer = m("inventory.Supplier").objects.create(
        name="Installing Power", user_id="90-B3-D5-1F-30-00-00-01", mpid="INST"
    )
    gainer = m("inventory.Supplier").objects.create(
        name="Gaining Energy", user_id="90-B3-D5-1F-30-00-00-02", mpid="GAIN"
    )
    for supplier, email in (
        (installer, "installs@installing.example"),
        (gainer, "desk@gaining.example"),
    ):
        m("inventory.SupplierContact").objects.create(supplier=supplier, email=email)
    user_model = m("inventory.User")
    gaining_user = user_model.objects.create(
        username="gina",
        email="gina@gaining.example",
        password=make_password(PASSWORD),
        supplier=gainer,
        is_supplier_admin=True,
        can_raise=True,
        can_answer=False,
    )
    installing_user = user_model.objects.create(
        username="ian",
        email="ian@installing.example",
        password=make_password(PASSWORD),
        supplier=installer,
        can_raise=False,
        can_answer=True,
    )
    helpdesk = user_model.objects.create(
        username="hal",
        email="hal@dcc.example",
        password=make_password(PASSWORD),
        is_helpdesk=True,
        is_staff=True,
    )

    sealed = key_ring().seal(SECRET, aad=f"totp-secret:user:{gaining_user.pk}".encode())
    totp = m("otp_totp.TOTPDevice").objects.create(
        user_id=gaining_user.pk,
        name="Authenticator app",
        confirmed=True,
        key="s1:" + base64.urlsafe_b64encode(sealed).decode("ascii"),
    )
    static = m("otp_static.StaticDevice").objects.create(
        user_id=gaining_user.pk, name="Backup codes", confirmed=True
    )
    from accounts.models import backup_code_digest  # the same digest as that time's

    m("otp_static.StaticToken").objects.create(device=static, token=backup_code_digest(BACKUP_CODE))

    content_type = m("contenttypes.ContentType")
    user_type = content_type.objects.create(app_label="inventory", model="user")
    for model in (
        "supplier",
        "suppliercontact",
        "securityevent",
        "sealedtotpdevice",
        "hashedbackupcodes",
        "device",
        "registration",
    ):
        content_type.objects.create(app_label="inventory", model=model)
    change_user = m("auth.Permission").objects.create(
        name="Can change user", codename="change_user", content_type=user_type
    )
    group = m("auth.Group").objects.create(name="DCC helpdesk")
    group.permissions.add(change_user)
    helpdesk.groups.add(group)
    m("admin.LogEntry").objects.create(
        action_time=now,
        user_id=helpdesk.pk,
        content_type=user_type,
        object_id=str(installing_user.pk),
        object_repr="ian",
        action_flag=2,
        change_message='[{"changed": {"fields": ["First name"]}}]',
    )
    m("inventory.SecurityEvent").objects.create(
        kind="login",
        actor=gaining_user,
        actor_supplier=gainer,
        username="gina",
        ip_address="10.0.0.1",
        created_at=now,
    )

    device_model = m("inventory.Device")
    meter = device_model.objects.create(
        device_id="00-DB-12-34-56-78-90-A0",
        device_type="ESME",
        smi_status="Commissioned",
        mpxn="1200023456781",
        installing_supplier=installer,
    )
    lodged_for = device_model.objects.create(
        device_id="00-DB-12-34-56-78-90-A1",
        device_type="GSME",
        smi_status="Commissioned",
        installing_supplier=installer,
    )
    m("inventory.Registration").objects.create(
        mpxn="1200023456781", supplier=gainer, effective_from=dt.date(2026, 1, 1)
    )

    public_id = uuid.uuid4()
    incident = m("incidents.Incident").objects.create(
        public_id=public_id,
        device=meter,
        raised_by_id=gaining_user.pk,
        raising_supplier=gainer,
        assigned_supplier=installer,
        status="code_provided",
        code_provided_by=installer,
        code_provided_at=now,
        created_at=now,
        updated_at=now,
        due_at=now,
        notified_at=now,
        install_code_sealed=key_ring().seal(
            INSTALL_CODE, aad=f"incident:{public_id}:{meter.pk}".encode()
        ),
    )
    for kind, actor, actor_supplier, to_status in (
        ("raised", gaining_user, gainer, "awaiting_installer"),
        ("code_provided", installing_user, installer, "code_provided"),
    ):
        m("incidents.IncidentEvent").objects.create(
            incident=incident,
            kind=kind,
            actor_id=actor.pk,
            actor_supplier=actor_supplier,
            to_status=to_status,
            created_at=now,
        )
    m("incidents.Assignment").objects.create(
        incident=incident,
        supplier=installer,
        notified_at=now,
        due_at=now,
        ended_at=now,
        outcome="code_provided",
    )
    m("incidents.LodgedCode").objects.create(
        device=lodged_for,
        supplier=installer,
        lodged_by_id=installing_user.pk,
        lodged_at=now,
        code_sealed=key_ring().seal(INSTALL_CODE, aad=f"lodged:{lodged_for.device_id}".encode()),
    )
    m("incidents.RaiseTally").objects.create(supplier=gainer, bucket=now, count=1)
    upload_id = uuid.uuid4()
    upload = m("incidents.BulkUpload").objects.create(
        public_id=upload_id,
        kind="raise",
        supplier=gainer,
        uploaded_by_id=gaining_user.pk,
        filename="raise.csv",
        content_sha256="0" * 64,
        size=30,
        status="done",
        total_rows=1,
        processed_rows=1,
        accepted_rows=1,
        created_at=now,
        updated_at=now,
        finished_at=now,
        payload_sealed=key_ring().seal(
            b"device_id\n00-DB-12-34-56-78-90-A0\n", aad=f"bulk-upload:{upload_id}".encode()
        ),
    )
    m("incidents.BulkRow").objects.create(
        upload=upload,
        line=2,
        device_id=meter.device_id,
        result="accepted",
        outcome="raised",
        incident=incident,
    )
    notification = m("notifications.Notification")
    notification.objects.create(
        source="incident-event:1",
        template="incident_assigned",
        recipient="installs@installing.example",
        supplier=installer,
        context={},
        status="sent",
    )
    notification.objects.create(
        source="incident-event:1",
        template="incident_helpdesk",
        recipient="helpdesk@dcc.example",
        supplier=None,
        context={},
        status="pending",
    )
    return {
        "counts": counts(),
        "users": {"gina": gaining_user.pk, "hal": helpdesk.pk},
        "supplier": {"installer": installer.pk, "gainer": gainer.pk},
        "incident": incident.pk,
        "totp": totp.pk,
    }


def verify(built: dict) -> dict:
    from django.contrib.admin.models import LogEntry
    from django.test import Client
    from django_otp.oath import totp

    from accounts.models import SealedTOTPDevice, User
    from incidents.models import Incident
    from incidents.services.lifecycle import incident_reveal_code
    from notifications.models import Notification

    settings.ALLOWED_HOSTS = ["testserver"]
    rows = counts()  # before signing in, which logs
    gina = User.objects.get(username="gina")
    device = SealedTOTPDevice.objects.get(user=gina)
    code = f"{totp(SECRET, device.step, device.t0, device.digits, device.drift):06d}"

    def sign_in(token: str) -> list[int]:
        client = Client()
        first = client.post(
            "/accounts/login/", {"username": "gina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
        )
        second = client.post("/accounts/login/code/", {"otp_token": token}, REMOTE_ADDR="10.0.0.9")
        home = client.get("/")
        return [
            first.status_code,
            second.status_code,
            home.status_code,
            int("_auth_user_id" in client.session),
        ]

    # A session verified before the move names the device by its old label.
    settings.SSI_MFA_REQUIRED = True  # as in production
    stale = Client()
    stale.force_login(gina)
    session = stale.session
    session["otp_device_id"] = f"inventory.sealedtotpdevice/{device.pk}"
    session.save()
    stale_home = stale.get("/")
    settings.SSI_MFA_REQUIRED = False

    incident = Incident.objects.get(pk=built["incident"])
    revealed = incident_reveal_code(actor=gina, incident=incident)
    hal = User.objects.get(username="hal")
    return {
        "counts": rows,
        "totp_sign_in": sign_in(code),
        "backup_sign_in": sign_in("k7m2p9x4"),
        "stale_session": [stale_home.status_code, stale_home.get("Location", "")],
        "revealed": revealed.hex().upper(),
        "audiences": sorted(Notification.objects.values_list("audience", flat=True)),
        "helpdesk_may_change_users": hal.has_perm("accounts.change_user"),
        "log_entry_type": LogEntry.objects.get().content_type.app_label,
        "device_label": device.persistent_id,
    }


if __name__ == "__main__":
    step = sys.argv[1]
    if step == "build":
        print(json.dumps(build()))
    else:
        print(json.dumps(verify(json.loads(sys.argv[2]))))
