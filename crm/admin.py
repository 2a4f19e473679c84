from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import DomainErrorAdminMixin, ReasonActionForm, TimelineInline, action_reason
from crm.models import Address, Contact, Customer, CustomerCreditEvent
from crm.services import (
    PasswordChangedVia,
    customer_release_credit_hold,
    customer_set_credit_hold,
    user_password_change_announce,
    user_sign_in_unlock,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "role", "phone", "email", "is_primary")


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = (
        ("label", "is_default_shipping"),
        ("recipient", "phone"),
        ("country", "region", "city", "district"),
        "line1",
        "postal_code",
        ("latitude", "longitude"),
    )


class CustomerCreditEventInline(TimelineInline):
    """Credit holds set and released, reminders sent (finance's collections), newest first."""

    model = CustomerCreditEvent
    fields = ("created_at", "kind_label", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("credit and collections timeline")


CREDIT_FIGURES = (
    "credit_exposure",
    "receivables_open",
    "orders_uninvoiced",
    "overdue_balance",
    "overdue_since",
    "credit_hold",
    "credit_hold_reason",
    "credit_hold_at",
)


@admin.register(Customer)
class CustomerAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "tier",
        "credit_limit",
        "credit_exposure",
        "overdue_balance",
        "credit_hold",
        "currency",
        "sales_rep",
        "is_active",
    )
    list_filter = ("kind", "tier", "credit_hold", "sales_rep", "is_active")
    search_fields = ("code", "name", "tax_id")
    list_select_related = ("sales_rep",)
    readonly_fields = (*CREDIT_FIGURES, "created_at", "updated_at")
    filter_horizontal = ("users",)
    inlines = (ContactInline, AddressInline, CustomerCreditEventInline)
    action_form = ReasonActionForm
    actions = ["set_credit_hold", "release_credit_hold"]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "tier", "is_active", "sales_rep")}),
        (
            _("Credit and terms"),
            {"fields": ("credit_limit", "payment_terms_days", "currency", "tax_id")},
        ),
        (
            _("Credit position (kept by finance)"),
            {"fields": CREDIT_FIGURES},
        ),
        (_("Delivery"), {"fields": ("accepts_partial_shipments",)}),
        (_("Portal and API access"), {"fields": ("users",)}),
        (_("Notes"), {"fields": ("notes", "created_at", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Orders and invoices keep customers (PROTECT); deactivate instead.
        return False

    def has_credit_hold_permission(self, request):
        return request.user.has_perm("crm.credit_hold_customer")

    @admin.action(
        description=_("Put selected customers on credit hold (reason)"), permissions=["credit_hold"]
    )
    def set_credit_hold(self, request, queryset):
        self._each_hold(request, queryset, customer_set_credit_hold, gettext("Credit hold"))

    @admin.action(
        description=_("Release the credit hold of selected customers (reason)"), permissions=["credit_hold"]
    )
    def release_credit_hold(self, request, queryset):
        self._each_hold(request, queryset, customer_release_credit_hold, gettext("Release credit hold"))

    def _each_hold(self, request, queryset, service, label: str) -> None:
        reason = action_reason(request, label=label, required=True)
        if reason is None:
            return
        done, skipped = [], []
        for pk, code in queryset.order_by("pk").values_list("pk", "code"):
            ok, result = self.call_service(
                request, service, subject=code, customer_id=pk, reason=reason, actor=request.user
            )
            if ok:
                (done if result[1] else skipped).append(code)
        if done:
            messages.success(
                request,
                gettext("%(action)s: done (%(items)s).") % {"action": label, "items": ", ".join(done)},
            )
        if skipped:
            messages.warning(
                request,
                gettext("%(action)s: nothing to do (%(items)s).")
                % {"action": label, "items": ", ".join(skipped)},
            )


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "role", "phone", "email", "is_primary")
    list_filter = ("is_primary", "customer__kind")
    search_fields = ("name", "email", "phone", "customer__name", "customer__code")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("customer", "label", "recipient", "region", "city", "line1", "is_default_shipping")
    list_filter = ("is_default_shipping", "region")
    search_fields = ("recipient", "city", "line1", "customer__name", "customer__code")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, plus the unlock of an account locked out after failed sign-ins."""

    actions = ["unlock_sign_in"]

    @admin.action(description=_("Unlock sign-in (forget failed attempts)"), permissions=["unlock"])
    def unlock_sign_in(self, request, queryset):
        usernames = [user.get_username() for user in queryset]
        for username in usernames:
            user_sign_in_unlock(username=username)
        self.message_user(
            request,
            ngettext(
                "Sign-in unlocked for %(count)d user.",
                "Sign-in unlocked for %(count)d users.",
                len(usernames),
            )
            % {"count": len(usernames)},
            messages.SUCCESS,
        )

    def user_change_password(self, request, id, form_url=""):
        """Django's "change password" page for a user; the user is told by mail (ASVS 2.5.5).

        Django has no signal for a changed password: the stored hash before and after tells.
        """
        user = self.get_object(request, unquote(id)) if request.method == "POST" else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and type(user)._default_manager.get(pk=user.pk).password != user.password:
            user_password_change_announce(
                user_id=user.pk,
                via=PasswordChangedVia.ADMIN,
                client_address=get_client_ip_address(request),
                domain=get_current_site(request).domain,
                protocol="https" if request.is_secure() else "http",
                # The user's own language is not known here; the administrator's may not be theirs.
                language=settings.LANGUAGE_CODE,
            )
        return response

    def has_unlock_permission(self, request):
        # The same right as deleting the attempt records in Axes → Access attempts.
        return request.user.has_perm("axes.delete_accessattempt")
