"""Price lists and shipping rates are plain master data, edited here directly."""

from django.contrib import admin

from pricing.models import CustomerPrice, ShippingRate, TierDiscount


@admin.register(TierDiscount)
class TierDiscountAdmin(admin.ModelAdmin):
    list_display = ("tier", "percent")


@admin.register(CustomerPrice)
class CustomerPriceAdmin(admin.ModelAdmin):
    list_display = ("customer", "product", "price")
    list_filter = ("customer__tier", "product__category")
    search_fields = ("customer__name", "customer__code", "product__sku", "product__name")
    list_select_related = ("customer", "product")
    autocomplete_fields = ("customer", "product")


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ("region", "base_fee", "per_kg", "free_above", "transit_days")
    search_fields = ("region",)
