from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.models import Address, Contact, Customer


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


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "tier",
        "credit_limit",
        "credit_exposure",
        "currency",
        "sales_rep",
        "is_active",
    )
    list_filter = ("kind", "tier", "sales_rep", "is_active")
    search_fields = ("code", "name", "tax_id")
    list_select_related = ("sales_rep",)
    readonly_fields = ("credit_exposure", "created_at", "updated_at")
    filter_horizontal = ("users",)
    inlines = (ContactInline, AddressInline)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "tier", "is_active", "sales_rep")}),
        (
            _("Credit and terms"),
            {"fields": ("credit_limit", "credit_exposure", "payment_terms_days", "currency", "tax_id")},
        ),
        (_("Portal and API access"), {"fields": ("users",)}),
        (_("Notes"), {"fields": ("notes", "created_at", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Orders and invoices keep customers (PROTECT); deactivate instead.
        return False


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
