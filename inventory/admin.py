from django import forms
from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from inventory.models import Category, Product, ProductOption, ProductOptionValue, StockLevel, Warehouse


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class ProductOptionInline(admin.TabularInline):
    """Options of a product; their values are edited on the option's own page (no nested inlines)."""

    model = ProductOption
    extra = 0
    fields = ("code", "name", "required", "position")
    show_change_link = True


class StockLevelInline(admin.TabularInline):
    model = StockLevel
    extra = 0
    fields = ("warehouse", "on_hand", "reserved", "available", "reorder_point")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("available"))
    def available(self, obj: StockLevel) -> int:
        return obj.available

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse", "product")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "sku",
        "name",
        "series",
        "category",
        "list_price",
        "unit_cost",
        "pack_size",
        "made_to_order",
        "is_active",
    )
    list_filter = ("category", "is_active", "made_to_order", "is_fragile", "series")
    search_fields = ("sku", "name", "series")
    list_select_related = ("category",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (ProductOptionInline, StockLevelInline)
    fieldsets = (
        (None, {"fields": ("sku", "name", "series", "category", "is_active", "description")}),
        (_("Prices"), {"fields": ("list_price", "unit_cost")}),
        (_("Logistics"), {"fields": ("unit", "pack_size", "weight_kg", "volume_m3", "is_fragile")}),
        (_("Production"), {"fields": ("made_to_order", "lead_time_days")}),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Order lines keep their product (PROTECT); deactivate instead.
        return False


class ProductOptionValueInline(admin.TabularInline):
    model = ProductOptionValue
    extra = 0
    fields = ("code", "name", "price_delta", "is_custom", "position")


@admin.register(ProductOption)
class ProductOptionAdmin(admin.ModelAdmin):
    list_display = ("product", "code", "name", "required", "position", "value_codes")
    list_filter = ("required", "product__category")
    search_fields = ("product__sku", "product__name", "code", "name")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)
    inlines = (ProductOptionValueInline,)

    @admin.display(description=_("values"))
    def value_codes(self, obj: ProductOption) -> str:
        return ", ".join(value.code for value in obj.values.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("values")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "city", "is_active")
    list_filter = ("is_active", "region")
    search_fields = ("code", "name", "city")


class StockLevelForm(forms.ModelForm):
    class Meta:
        model = StockLevel
        fields = ("product", "warehouse", "on_hand", "reorder_point")

    def clean_on_hand(self):
        # Mirrors the database check reserved <= on_hand, so a too-low count is a form error, not a 500.
        on_hand = self.cleaned_data["on_hand"]
        if on_hand is not None and on_hand < self.instance.reserved:
            raise forms.ValidationError(
                _("%(reserved)d are reserved here; on hand cannot be lower.")
                % {"reserved": self.instance.reserved}
            )
        return on_hand


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    form = StockLevelForm
    list_display = (
        "product",
        "warehouse",
        "on_hand",
        "reserved",
        "available",
        "reorder_point",
        "below_reorder",
        "updated_at",
    )
    list_filter = ("warehouse", "product__category")
    search_fields = ("product__sku", "product__name", "warehouse__code")
    list_select_related = ("product", "warehouse")
    autocomplete_fields = ("product",)
    readonly_fields = ("reserved", "available", "updated_at")

    @admin.display(description=_("available"), ordering=F("on_hand") - F("reserved"))
    def available(self, obj: StockLevel) -> int:
        return obj.available

    @admin.display(description=_("reorder"))
    def below_reorder(self, obj: StockLevel):
        if obj.available > obj.reorder_point:
            return ""
        return format_html('<span class="reorder-flag">{}</span>', _("reorder"))

    def get_readonly_fields(self, request, obj=None):
        # Reservations are moved only by inventory's services; a row's product and warehouse are its identity.
        if obj is None:
            return self.readonly_fields
        return ("product", "warehouse", *self.readonly_fields)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "warehouse")
