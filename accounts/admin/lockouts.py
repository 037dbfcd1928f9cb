"""django-axes' pages in the admin, made safe for the DCC helpdesk.

Deleting an access attempt unlocks its username at its address: through django-axes' own pages
the helpdesk could do that with no word in the security log. Here the attempts are read-only
and the one way to unlock is the "lift the lockout" action, which the security log records
(who, which username, which address, when). Nobody deletes an attempt through the generic
delete, operators included: the action does the same, logged as what it is; the shell keeps
``manage.py axes_reset``. The login histories (access logs, access failures) are read-only but
for operators, whose deletions the security log records. django-axes cleans expired attempts
itself at each login, so its "clean up expired attempts" action is not offered.
"""

from axes import admin as axes_admin  # registers django-axes' pages first, where it does
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages

from ..permissions import is_helpdesk_staff, is_operator
from ..services import AccountError, login_lockout_lift
from .log import SecurityLoggedAdmin


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    actions = ["lift_lockouts"]

    def has_change_permission(self, request, obj=None):
        # Every field is read-only: a change form would save nothing.
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return is_helpdesk_staff(request.user) and super().has_change_permission(request)

    @admin.action(
        description="Lift the lockout of the selected usernames at their addresses",
        permissions=["lift"],
    )
    def lift_lockouts(self, request, queryset):
        lifted, seen = [], set()
        # One call per username and address: the rows of its other browsers go with it.
        for attempt in list(queryset.order_by("username", "ip_address", "pk")):
            pair = (attempt.username, attempt.ip_address)
            if pair in seen:
                continue
            seen.add(pair)
            try:
                login_lockout_lift(actor=request.user, attempt_id=attempt.pk, request=request)
            except AccountError as exc:
                messages.error(request, exc.message)
            else:
                lifted.append(f"{attempt.username} from {attempt.ip_address}")
        if lifted:
            messages.success(
                request, f"Failed logins forgotten, lockout lifted: {', '.join(lifted)}."
            )


class _OperatorsOnlyChange:
    def has_change_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_delete_permission(request, obj)


class AccessLogAdmin(SecurityLoggedAdmin, _OperatorsOnlyChange, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(
    SecurityLoggedAdmin, _OperatorsOnlyChange, axes_admin.AccessFailureLogAdmin
):
    pass


for _model, _model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    # Only the pages django-axes serves (``AXES_ENABLE_ADMIN``) are replaced.
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)
