from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import (
    DomainErrorAdminMixin,
    ReadOnlyAdminMixin,
    ReasonActionForm,
    ServiceAddViewMixin,
    TimelineInline,
    action_reason,
    form_add_domain_error,
)
from core.errors import DomainError
from inventory import receipts, selectors, services, transfers
from inventory.models import (
    Category,
    ExpectedReceipt,
    Product,
    ProductOption,
    ProductOptionValue,
    StockAlert,
    StockAlertStatus,
    StockLevel,
    StockMovement,
    StockTransfer,
    StockTransferEvent,
    StockTransferLine,
    Warehouse,
    WarehouseShippingCost,
)
from inventory.selectors import stock_threshold_annotations
from inventory.states import LIFECYCLE, TRANSITION_PERMISSION, TransferStatus, can_edit


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "default_low_stock", "default_over_stock")
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
    fields = ("warehouse", "on_hand", "reserved", "available", "reorder_point", "over_stock_threshold")
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


class WarehouseShippingCostInline(admin.TabularInline):
    model = WarehouseShippingCost
    extra = 0
    fields = ("region", "per_shipment", "per_unit")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "city", "latitude", "longitude", "is_active")
    list_filter = ("is_active", "region")
    search_fields = ("code", "name", "city")
    # Allocation ranks warehouses by these costs, when a destination has any, instead of distance.
    inlines = (WarehouseShippingCostInline,)


@admin.register(WarehouseShippingCost)
class WarehouseShippingCostAdmin(admin.ModelAdmin):
    list_display = ("warehouse", "region", "per_shipment", "per_unit")
    list_editable = ("per_shipment", "per_unit")
    list_filter = ("warehouse", "region")
    search_fields = ("warehouse__code", "region")
    list_select_related = ("warehouse",)


# What the stock level's change form may write (save_model saves these fields only).
THRESHOLD_FIELDS = ("reorder_point", "over_stock_threshold")


class StockLevelForm(forms.ModelForm):
    """Only the thresholds are edited here; balances move through the Receive and Adjust forms."""

    class Meta:
        model = StockLevel
        fields = ("product", "warehouse", *THRESHOLD_FIELDS)


class _StockMoveForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.order_by("sku"))
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.order_by("code"))

    def domain_error_field(self, path: str) -> tuple[str | None, str]:
        name = path if path in self.fields else None
        return name, "" if name else path


class StockReceiveForm(_StockMoveForm):
    quantity = forms.IntegerField(label=_("Quantity received"), min_value=1, max_value=services.MAX_QUANTITY)
    reason = forms.CharField(label=_("Note"), required=False, max_length=500)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "product_id": data["product"].pk,
            "warehouse_id": data["warehouse"].pk,
            "quantity": data["quantity"],
            "reason": data["reason"],
        }


class StockAdjustForm(_StockMoveForm):
    delta = forms.IntegerField(
        label=_("Change of on hand"),
        min_value=-services.MAX_QUANTITY,
        max_value=services.MAX_QUANTITY,
        help_text=_("Positive adds stock, negative takes it off (count differences, damage, loss)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."))
        return delta

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "product_id": data["product"].pk,
            "warehouse_id": data["warehouse"].pk,
            "delta": data["delta"],
            "reason": data["reason"],
        }


STOCK_FORMS = {
    "receive": (StockReceiveForm, services.stock_receive, _("Receive stock")),
    "adjust": (StockAdjustForm, services.stock_adjust, _("Adjust stock")),
}


class StockStateFilter(admin.SimpleListFilter):
    """Rows at or below their low-stock threshold, or above their over-stock one (the queryset carries
    the effective thresholds, StockLevelAdmin.get_queryset)."""

    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return (("low", _("low")), ("over", _("over")))

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(low_at__isnull=False, available_now__lte=F("low_at"))
        if self.value() == "over":
            return queryset.filter(over_at__isnull=False, on_hand__gt=F("over_at"))
        return queryset


def _threshold_text(own, effective) -> str:
    """A row's threshold; one taken from its category's default is marked so."""
    if effective is None:
        return "—"
    if own is None:
        return _("%(value)s (category)") % {"value": effective}
    return str(effective)


@admin.register(StockLevel)
class StockLevelAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    form = StockLevelForm
    change_list_template = "admin/inventory/stocklevel/change_list.html"
    # Narrow enough for a 1366 px screen: SKU and warehouse code (names on hover), the flag up front.
    list_display = (
        "sku",
        "warehouse_code",
        "stock_flag",
        "on_hand",
        "reserved",
        "available",
        "in_transit",
        "low_threshold",
        "over_threshold",
        "updated_at",
    )
    list_filter = (StockStateFilter, "warehouse", "product__category")
    search_fields = ("product__sku", "product__name", "warehouse__code")
    list_select_related = ("product", "warehouse")
    autocomplete_fields = ("product",)
    # Balances move only through inventory's services (Receive stock, Adjust stock), never a form save.
    readonly_fields = ("on_hand", "reserved", "available", "updated_at")

    @admin.display(description=_("SKU"), ordering="product__sku")
    def sku(self, obj: StockLevel):
        return format_html('<span title="{}">{}</span>', obj.product.name, obj.product.sku)

    @admin.display(description=_("warehouse"), ordering="warehouse__code")
    def warehouse_code(self, obj: StockLevel):
        return format_html('<span title="{}">{}</span>', obj.warehouse.name, obj.warehouse.code)

    @admin.display(description=_("available"), ordering=F("on_hand") - F("reserved"))
    def available(self, obj: StockLevel) -> int:
        return obj.available

    @admin.display(description=_("in transit"), ordering="in_transit")
    def in_transit(self, obj: StockLevel) -> int:
        # Annotated in get_queryset (one subquery, no query per row); shipped transfers to this row.
        return getattr(obj, "in_transit", 0)

    @admin.display(description=_("low-stock threshold"), ordering="low_at")
    def low_threshold(self, obj: StockLevel):
        return _threshold_text(obj.reorder_point, obj.low_at)

    @admin.display(description=_("over-stock threshold"), ordering="over_at")
    def over_threshold(self, obj: StockLevel):
        return _threshold_text(obj.over_stock_threshold, obj.over_at)

    @admin.display(description=_("stock"))
    def stock_flag(self, obj: StockLevel):
        """Low and over stock flagged by CSS class (static/oms/admin.css; the CSP allows no inline style)."""
        if obj.low_at is not None and obj.available <= obj.low_at:
            return format_html('<span class="stock-flag stock-flag-low">{}</span>', _("low"))
        if obj.over_at is not None and obj.on_hand > obj.over_at:
            return format_html('<span class="stock-flag stock-flag-over">{}</span>', _("over"))
        return ""

    def get_readonly_fields(self, request, obj=None):
        # A row's product and warehouse are its identity.
        if obj is None:
            return self.readonly_fields
        return ("product", "warehouse", *self.readonly_fields)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("product__category", "warehouse")
            .annotate(in_transit=selectors.stock_in_transit_expression())
            .annotate(**stock_threshold_annotations())
        )

    def save_model(self, request, obj, form, change):
        """A new row starts at zero; a change saves the thresholds only, so a reservation or receipt
        made while the form was open is never overwritten."""
        if change:
            obj.save(update_fields=[*THRESHOLD_FIELDS, "updated_at"])
        else:
            obj.save()

    def get_urls(self):
        return [
            path(
                f"{key}/",
                self.admin_site.admin_view(partial(self.stock_form_view, key=key)),
                name=f"inventory_stocklevel_{key}",
            )
            for key in STOCK_FORMS
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "stock_form_links": [
                {"label": label, "url": reverse(f"admin:inventory_stocklevel_{key}")}
                for key, (_form, _service, label) in STOCK_FORMS.items()
            ]
            if self.has_change_permission(request)
            else [],
        }
        return super().changelist_view(request, extra_context)

    def stock_form_view(self, request, key: str):
        """Receive or adjust stock through its service; a refusal lands on the form, nothing is written."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form_class, service, label = STOCK_FORMS[key]
        initial = {name: request.GET[name] for name in ("product", "warehouse") if request.GET.get(name)}
        form = form_class(request.POST if request.method == "POST" else None, initial=initial)
        changelist_url = reverse("admin:inventory_stocklevel_changelist")
        if request.method == "POST" and form.is_valid():
            try:
                movement = service(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(action)s: %(product)s in %(warehouse)s, on hand %(delta)+d.")
                    % {
                        "action": label,
                        "product": form.cleaned_data["product"].sku,
                        "warehouse": form.cleaned_data["warehouse"].code,
                        "delta": movement.on_hand_delta,
                    },
                )
                return HttpResponseRedirect(changelist_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": label,
            "form": form,
            "changelist_url": changelist_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/stock_form.html", context)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The stock ledger: immutable, shown for reference."""

    list_display = (
        "created_at",
        "kind",
        "product",
        "warehouse",
        "on_hand_delta",
        "reserved_delta",
        "document",
        "reason",
        "actor",
    )
    list_filter = (
        "kind",
        "warehouse",
        ("product", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("product__sku", "document_id", "reason")
    list_select_related = ("product", "warehouse", "actor")
    date_hierarchy = "created_at"

    @admin.display(description=_("document"))
    def document(self, obj: StockMovement) -> str:
        if not obj.document_type:
            return ""
        line = f" / {obj.document_line_id}" if obj.document_line_id else ""
        return f"{obj.document_type} {obj.document_id}{line}"


# --- transfers between warehouses -------------------------------------------------------------------

T = TransferStatus


class StockTransferCreateForm(forms.Form):
    """Header and lines of a new transfer; checked by inventory.transfers.transfer_request."""

    from_warehouse = forms.ModelChoiceField(
        label=capfirst(_("from warehouse")), queryset=Warehouse.objects.filter(is_active=True)
    )
    to_warehouse = forms.ModelChoiceField(
        label=capfirst(_("to warehouse")), queryset=Warehouse.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=capfirst(_("reason")), required=False, max_length=500)
    # Not stripped: row numbers in messages must match the rows the user sees.
    lines = forms.CharField(
        label=capfirst(_("lines")),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 50, "placeholder": "LGT-200 40"}),
        help_text=_("One line per row: SKU quantity."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_numbers: list[int] = []

    def clean_lines(self) -> list[tuple[int, int]]:
        rows, errors, self.row_numbers = [], [], []
        for row, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            tokens = text.split()
            if not tokens:
                continue
            if len(tokens) != 2 or not tokens[1].isdecimal() or len(tokens[1]) > 9:
                errors.append(gettext("Row %(row)d: write the SKU, then a whole quantity.") % {"row": row})
                continue
            rows.append((row, tokens[0], int(tokens[1])))
        products = dict(
            Product.objects.filter(sku__in=[sku for _r, sku, _q in rows]).values_list("sku", "pk")
        )
        lines = []
        for row, sku, quantity in rows:
            if sku not in products:
                errors.append(gettext("Row %(row)d: unknown SKU “%(sku)s”.") % {"row": row, "sku": sku})
                continue
            lines.append((products[sku], quantity))
            self.row_numbers.append(row)
        if errors:
            raise forms.ValidationError(errors)
        return lines

    def domain_error_field(self, path: str) -> tuple[str | None, str]:
        """`lines[2].quantity` → the lines box, labelled with the row the user typed it on."""
        if path.startswith("lines["):
            index = int(path[len("lines[") : path.index("]")])
            row = self.row_numbers[index] if index < len(self.row_numbers) else index + 1
            return "lines", gettext("Row %(row)d") % {"row": row}
        root = path.split(".")[0].split("[")[0]
        return (root, "") if root in self.fields else (None, path)


class TransferReceiveForm(forms.Form):
    """What arrived of each shipped line (all of it by default), and why when less did."""

    def __init__(self, *args, lines: list[StockTransferLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.products: dict[str, int] = {}
        for line in lines:
            name = f"line_{line.pk}"
            self.products[name] = line.product_id
            self.fields[name] = forms.IntegerField(
                label=str(line.product),
                min_value=0,
                max_value=line.quantity_shipped,
                initial=line.quantity_shipped,
                help_text=_("%(shipped)d shipped") % {"shipped": line.quantity_shipped},
            )
        self.fields["reason"] = forms.CharField(
            label=capfirst(_("reason")),
            required=False,
            max_length=500,
            help_text=_("Required when less arrived than was shipped: the rest is written off."),
        )

    def received(self) -> dict[int, int]:
        return {product_id: self.cleaned_data[name] for name, product_id in self.products.items()}

    def domain_error_field(self, path: str) -> tuple[str | None, str]:
        by_product = {str(product_id): name for name, product_id in self.products.items()}
        if path.startswith("received."):
            name = by_product.get(path.removeprefix("received."))
            return name, "" if name else path
        return (path, "") if path in self.fields else (None, path)


class StockTransferLineInline(admin.TabularInline):
    """Lines are edited here only while the transfer is requested; the save goes through
    transfers.transfer_update_lines (StockTransferAdmin.save_related), never the formset."""

    model = StockTransferLine
    extra = 0
    fields = ("product", "quantity", "quantity_shipped", "quantity_received")
    readonly_fields = ("quantity_shipped", "quantity_received")
    autocomplete_fields = ("product",)

    def _editable(self, request, obj) -> bool:
        return (
            obj is not None
            and can_edit(obj.status)
            and request.user.has_perm("inventory.change_stocktransfer")
        )

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(StockTransfer).has_view_or_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class StockTransferEventInline(TimelineInline):
    model = StockTransferEvent


@admin.register(StockTransfer)
class StockTransferAdmin(DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    add_form = StockTransferCreateForm
    add_fieldsets = ((None, {"fields": ("from_warehouse", "to_warehouse", "reason", "lines")}),)
    action_form = ReasonActionForm
    actions = ["ship", "receive", "cancel"]
    list_display = (
        "number",
        "status",
        "from_warehouse",
        "to_warehouse",
        "in_transit",
        "requested_by",
        "created_at",
        "shipped_at",
        "received_at",
    )
    list_filter = ("status", "from_warehouse", "to_warehouse", "created_at")
    search_fields = ("number", "reason", "lines__product__sku")
    date_hierarchy = "created_at"
    inlines = (StockTransferLineInline, StockTransferEventInline)
    readonly_fields = (
        "number",
        "status",
        "from_warehouse",
        "to_warehouse",
        "reason",
        "requested_by",
        "in_transit",
        "created_at",
        "shipped_at",
        "received_at",
        "cancelled_at",
    )
    fields = readonly_fields

    @admin.display(description=_("in transit"), ordering="in_transit")
    def in_transit(self, obj: StockTransfer) -> int:
        return getattr(obj, "in_transit", 0)

    @admin.display(description=_("receive"))
    def receive_link(self, obj: StockTransfer):
        url = reverse("admin:inventory_stocktransfer_receive", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Receive, counting what arrived…"))

    def _offers_receiving(self, request, obj) -> bool:
        return obj is not None and obj.status == T.SHIPPED and self.has_receive_permission(request)

    def get_fields(self, request, obj=None):
        if self._offers_receiving(request, obj):
            return (*self.fields, "receive_link")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if self._offers_receiving(request, obj):
            return (*self.readonly_fields, "receive_link")
        return self.readonly_fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="inventory_stocktransfer_receive",
            )
        ] + super().get_urls()

    def receive_view(self, request, object_id):
        """Receive a shipped transfer line by line; less than shipped needs a reason (written off)."""
        if not self.has_receive_permission(request):
            raise PermissionDenied
        transfer = self.get_object(request, unquote(object_id))
        if transfer is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:inventory_stocktransfer_change", args=[transfer.pk])
        if transfer.status != T.SHIPPED:
            self.message_domain_error(request, LIFECYCLE.refusal(transfer, T.RECEIVED))
            return HttpResponseRedirect(change_url)
        lines = list(transfer.lines.select_related("product").order_by("pk"))
        form = TransferReceiveForm(request.POST if request.method == "POST" else None, lines=lines)
        if request.method == "POST" and form.is_valid():
            try:
                transfers.transfer_receive(
                    transfer_id=transfer.pk,
                    received=form.received(),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Transfer %(number)s received.") % {"number": transfer.number})
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Receive transfer %(number)s") % {"number": transfer.number},
            "form": form,
            "changelist_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/stock_form.html", context)

    def get_queryset(self, request):
        return selectors.transfer_list().select_related("requested_by")

    # --- permissions: the lifecycle's, per move -------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        # Transfers are cancelled, never deleted: the ledger names them.
        return False

    def has_change_permission(self, request, obj=None):
        # Only the lines of a requested transfer are edited on its page; later it is view-only.
        if obj is not None and not can_edit(obj.status):
            return False
        return super().has_change_permission(request, obj)

    def has_ship_permission(self, request):
        return request.user.has_perm(TRANSITION_PERMISSION[T.SHIPPED])

    def has_receive_permission(self, request):
        return request.user.has_perm(TRANSITION_PERMISSION[T.RECEIVED])

    def has_cancel_permission(self, request):
        return request.user.has_perm(TRANSITION_PERMISSION[T.CANCELLED])

    # --- writes: each through one service --------------------------------------------------------

    def create_through_service(self, request, form: StockTransferCreateForm) -> StockTransfer:
        data = form.cleaned_data
        return transfers.transfer_request(
            from_warehouse_id=data["from_warehouse"].pk,
            to_warehouse_id=data["to_warehouse"].pk,
            lines=data["lines"],
            reason=data["reason"],
            actor=request.user,
        )

    def save_model(self, request, obj, form, change):
        """Only the change form reaches here, and its header is read-only: nothing to save."""

    def save_related(self, request, form, formsets, change):
        """The lines formset is the new set of lines, handed to transfer_update_lines as a whole."""
        for formset in formsets:
            if formset.model is not StockTransferLine or not formset.has_changed():
                continue
            lines = [
                (line_form.cleaned_data["product"].pk, line_form.cleaned_data["quantity"])
                for line_form in formset.forms
                if line_form.cleaned_data
                and not line_form.cleaned_data.get("DELETE")
                and line_form.cleaned_data.get("product") is not None
            ]
            transfers.transfer_update_lines(transfer_id=form.instance.pk, lines=lines, actor=request.user)

    def construct_change_message(self, request, form, formsets, add=False):
        # The formset was not saved (the service replaced the lines): it has no saved objects to list.
        return [{"changed": {"fields": ["lines"]}}] if any(f.has_changed() for f in formsets) else []

    @admin.action(description=_("Ship selected transfers (stock leaves the source)"), permissions=["ship"])
    def ship(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            transfers.transfer_ship,
            id_kwarg="transfer_id",
            already=T.SHIPPED,
            label=gettext("Ship"),
            actor=request.user,
        )

    @admin.action(
        description=_("Receive selected transfers (everything shipped arrived)"), permissions=["receive"]
    )
    def receive(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            transfers.transfer_receive,
            id_kwarg="transfer_id",
            already=T.RECEIVED,
            label=gettext("Receive"),
            actor=request.user,
        )

    @admin.action(description=_("Cancel selected transfers (reason)"), permissions=["change"])
    def cancel(self, request, queryset):
        reason = action_reason(request, label=gettext("Cancel"), required=True)
        if reason is not None:
            self.call_service_each(
                request,
                queryset,
                transfers.transfer_cancel,
                id_kwarg="transfer_id",
                already=T.CANCELLED,
                label=gettext("Cancel"),
                reason=reason,
                actor=request.user,
            )


class StockAlertActionForm(helpers.ActionForm):
    """The alert list's action bar, with a box for the note the "resolve" action keeps."""

    note = forms.CharField(label=_("Note"), required=False, max_length=500)


@admin.register(StockAlert)
class StockAlertAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    """Alerts are raised and resolved by inventory.alerts; by hand only the "resolve" action writes."""

    action_form = StockAlertActionForm
    actions = ["resolve"]
    list_display = (
        "raised_at",
        "kind",
        "status",
        "product",
        "warehouse",
        "available",
        "on_hand",
        "threshold",
        "suggested_quantity",
        "notified_at",
        "resolved_at",
    )
    list_filter = ("kind", "status", "warehouse", ("raised_at", admin.DateFieldListFilter))
    search_fields = ("product__sku", "product__name", "warehouse__code")
    list_select_related = ("product", "warehouse")
    date_hierarchy = "raised_at"
    fields = (
        "product",
        "warehouse",
        "kind",
        "status",
        "raised_at",
        "on_hand",
        "available",
        "threshold",
        "suggested_quantity",
        "notified_at",
        "recovered_at",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission is the "resolve" action's; an alert's page is never saved from a form.
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("Resolve selected alerts (note optional)"), permissions=["change"])
    def resolve(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            services.stock_alert_resolve,
            id_kwarg="alert_id",
            label=gettext("Resolve"),
            subject_field="id",
            already=StockAlertStatus.RESOLVED,
            actor=request.user,
            note=request.POST.get("note", ""),
        )


# --- expected receipts ------------------------------------------------------------------------------


class ExpectedReceiptCreateForm(forms.Form):
    product = forms.ModelChoiceField(label=_("product"), queryset=Product.objects.filter(is_active=True))
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=services.MAX_QUANTITY)
    expected_on = forms.DateField(label=_("expected on"), widget=admin.widgets.AdminDateWidget)
    reference = forms.CharField(label=_("reference"), max_length=80, required=False)


@admin.register(ExpectedReceipt)
class ExpectedReceiptAdmin(DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    """Inbound goods announced ahead; available-to-promise counts them until they are received.

    Added through inventory.receipts.expected_receipt_create; "receive" books them through the
    ledger, "cancel" withdraws an announcement. The page itself is never saved from a form.
    """

    add_form = ExpectedReceiptCreateForm
    add_fieldsets = ((None, {"fields": ("product", "warehouse", "quantity", "expected_on", "reference")}),)
    actions = ["receive", "cancel"]
    list_display = ("expected_on", "product", "warehouse", "quantity", "reference", "received", "received_at")
    list_filter = ("received", "warehouse", ("expected_on", admin.DateFieldListFilter))
    search_fields = ("product__sku", "product__name", "reference")
    list_select_related = ("product", "warehouse")
    date_hierarchy = "expected_on"
    fields = (
        "product",
        "warehouse",
        "quantity",
        "expected_on",
        "reference",
        "received",
        "received_at",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        # Withdrawn through the "cancel" action (its service refuses received ones), never deleted here.
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission is the "receive" action's; the page is never saved from a form.
        return obj is None and super().has_change_permission(request)

    def create_through_service(self, request, form: ExpectedReceiptCreateForm) -> ExpectedReceipt:
        data = form.cleaned_data
        return receipts.expected_receipt_create(
            product_id=data["product"].pk,
            warehouse_id=data["warehouse"].pk,
            quantity=data["quantity"],
            expected_on=data["expected_on"],
            reference=data["reference"],
            actor=request.user,
        )

    @admin.action(description=_("Receive selected receipts into stock"), permissions=["change"])
    def receive(self, request, queryset):
        self.call_service_each(
            request,
            queryset.filter(received=False),
            receipts.expected_receipt_receive,
            id_kwarg="receipt_id",
            label=gettext("Receive"),
            subject_field="id",
            actor=request.user,
        )

    @admin.action(description=_("Cancel selected announcements"), permissions=["change"])
    def cancel(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            receipts.expected_receipt_cancel,
            id_kwarg="receipt_id",
            label=gettext("Cancel"),
            subject_field="id",
        )
