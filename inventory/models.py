from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel
from inventory.states import TransferEventKind, TransferStatus

NOT_NEGATIVE = MinValueValidator(Decimal("0"))
MAX_LEAD_TIME_DAYS = 365
LATITUDE = [MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))]
LONGITUDE = [MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))]


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    default_low_stock = models.PositiveIntegerField(
        _("default low-stock threshold"),
        null=True,
        blank=True,
        help_text=_(
            "A stock alert is raised when available (on hand − reserved) falls to this or below. "
            "Used by every stock level of the category's products without a reorder point of its own; "
            "empty: no low-stock alerts."
        ),
    )
    default_over_stock = models.PositiveIntegerField(
        _("default over-stock threshold"),
        null=True,
        blank=True,
        help_text=_(
            "A stock alert is raised when on hand rises above this. Used by every stock level of the "
            "category's products without a threshold of its own; empty: no over-stock alerts."
        ),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    series = models.CharField(_("model / series"), max_length=80, blank=True, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    pack_size = models.PositiveIntegerField(_("pack size"), default=1, validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    list_price = models.DecimalField(
        _("list price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    volume_m3 = models.DecimalField(
        _("volume (m³)"), max_digits=10, decimal_places=4, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    is_fragile = models.BooleanField(_("fragile"), default=False)
    made_to_order = models.BooleanField(
        _("made to order"),
        default=False,
        help_text=_("Always built by production, never shipped from stock."),
    )
    lead_time_days = models.PositiveSmallIntegerField(
        _("production lead time (days)"), default=0, validators=[MaxValueValidator(MAX_LEAD_TIME_DAYS)]
    )
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0) & Q(unit_cost__gte=0), name="inventory_product_prices_gte_0"
            ),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="inventory_product_pack_size_gte_1"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="inventory_product_weight_kg_gte_0"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="inventory_product_volume_m3_gte_0"),
            models.CheckConstraint(
                condition=Q(lead_time_days__lte=MAX_LEAD_TIME_DAYS),
                name="inventory_product_lead_time_days_lte_365",
            ),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class ProductOption(models.Model):
    """A configurable dimension of a product (cab, engine, colour…)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="options", verbose_name=_("product")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product option")
        verbose_name_plural = _("product options")
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="inventory_option_product_code_uniq")
        ]

    def __str__(self):
        return f"{self.product.sku}:{self.code}"


class ProductOptionValue(models.Model):
    option = models.ForeignKey(
        ProductOption, on_delete=models.CASCADE, related_name="values", verbose_name=_("option")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    price_delta = models.DecimalField(
        _("price difference"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    is_custom = models.BooleanField(
        _("custom build"),
        default=False,
        help_text=_("Choosing this value makes the line a custom build for production."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option value")
        verbose_name_plural = _("option values")
        ordering = ["option_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["option", "code"], name="inventory_optionvalue_code_uniq")
        ]

    def __str__(self):
        return f"{self.option.code}={self.code}"


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region / province"), max_length=80)
    city = models.CharField(_("city"), max_length=80, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="inventory_warehouse_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="inventory_warehouse_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """On-hand and reserved quantity of one product in one warehouse; never oversold (checked in the DB)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("warehouse")
    )
    on_hand = models.IntegerField(_("on hand"), default=0, validators=[MinValueValidator(0)])
    reserved = models.IntegerField(_("reserved"), default=0, validators=[MinValueValidator(0)])
    # The low-stock threshold of this row; NULL follows the category's default_low_stock.
    reorder_point = models.IntegerField(
        _("reorder point"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Low-stock threshold: an alert is raised when available falls to this or below. "
            "Empty: the category's default."
        ),
    )
    over_stock_threshold = models.IntegerField(
        _("over-stock threshold"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("An alert is raised when on hand rises above this. Empty: the category's default."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="inventory_stock_product_warehouse_uniq"
            ),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_stock_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_stock_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="inventory_stock_reserved_lte_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(reorder_point__gte=0), name="inventory_stocklevel_reorder_point_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(over_stock_threshold__gte=0),
                name="inventory_stocklevel_over_stock_threshold_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku}@{self.warehouse.code}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")
    RESERVATION = "reservation", _("reservation")
    RELEASE = "release", _("release")
    SHIPMENT = "shipment", _("shipment")
    TRANSFER_OUT = "transfer_out", _("transfer out")
    TRANSFER_IN = "transfer_in", _("transfer in")
    ADJUSTMENT = "adjustment", _("adjustment")
    RETURN = "return", _("return")
    # Components a work order used up (production): reserved for it, then taken off on hand.
    CONSUMPTION = "consumption", _("consumption")


class StockMovement(models.Model):
    """One immutable change of a stock balance: the ledger. Written only by inventory.services.

    The balances of StockLevel always equal the sums of these deltas per product × warehouse
    (`manage.py stock_check`). The document that caused a movement is named generically
    (`document_type` such as "orders.order", `document_id`, `document_line_id`): inventory never
    imports the apps above it.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="stock_movements", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_movements", verbose_name=_("warehouse")
    )
    on_hand_delta = models.IntegerField(_("on hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    document_type = models.CharField(_("document type"), max_length=60, blank=True)
    document_id = models.CharField(_("document id"), max_length=64, blank=True)
    document_line_id = models.CharField(_("document line id"), max_length=64, blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=100,
        blank=True,
        help_text=_("The same key for the same document and kind moves stock once."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse"], name="inventory_move_product_wh_idx"),
            models.Index(fields=["document_type", "document_id"], name="inventory_move_document_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="inventory_move_adjustment_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0) | ~Q(reserved_delta=0), name="inventory_move_not_empty"
            ),
            models.UniqueConstraint(
                fields=[
                    "document_type",
                    "document_id",
                    "document_line_id",
                    "kind",
                    "idempotency_key",
                    "product",
                    "warehouse",
                ],
                condition=~Q(idempotency_key=""),
                name="inventory_move_idempotency_uniq",
            ),
        ]

    def __str__(self):
        deltas = f"{self.on_hand_delta:+d}/{self.reserved_delta:+d}"
        return f"{self.kind} {self.product_id}@{self.warehouse_id}: {deltas}"


class StockAlertKind(models.TextChoices):
    LOW = "low", _("low stock")
    OVER = "over", _("over stock")


class StockAlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class StockAlert(models.Model):
    """One crossing of a stock threshold by one product in one warehouse (inventory.alerts).

    Raised by `stock_alerts_evaluate` when the level crosses to the wrong side and no alert of that
    kind is open for the row; resolved by it when the level is back (`recovered_at`), or by hand.
    A crossing raises one alert: one open alert per product × warehouse × kind (the partial unique
    constraint), and an alert resolved by hand while the level is still on the wrong side keeps the
    next one from being raised until the level has recovered.
    """

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock_alerts", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="stock_alerts", verbose_name=_("warehouse")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=StockAlertKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=StockAlertStatus.choices, default=StockAlertStatus.OPEN
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now, db_index=True)
    on_hand = models.IntegerField(_("on hand when raised"))
    available = models.IntegerField(_("available when raised"))
    threshold = models.IntegerField(_("threshold"))
    suggested_quantity = models.IntegerField(
        _("suggested reorder quantity"),
        default=0,
        help_text=_("Recent daily demand × lead time + low threshold − available, in whole packs."),
    )
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    recovered_at = models.DateTimeField(
        _("recovered at"),
        null=True,
        blank=True,
        help_text=_("When the level was seen back on the right side of the threshold."),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse", "kind"], name="inventory_alert_row_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse", "kind"],
                condition=Q(status="open"),
                name="inventory_stockalert_one_open_per_row_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="resolved", resolved_at__isnull=False),
                name="inventory_stockalert_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(suggested_quantity__gte=0), name="inventory_stockalert_suggested_gte_0"
            ),
        ]

    def __str__(self):
        where = f"{self.product.sku}@{self.warehouse.code}"
        return f"{self.get_kind_display()} {where} ({self.get_status_display()})"


class StockTransfer(TimeStampedModel):
    """Goods moving from one warehouse to another: requested → shipped (in transit) → received.

    Its status moves only through inventory.transfers (the lifecycle in inventory.states); its stock
    moves are ledger rows naming it as "inventory.stocktransfer". Between shipping and receiving the
    shipped quantities are in transit: off the source's books, not yet on the destination's.
    """

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    from_warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from warehouse")
    )
    to_warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to warehouse")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TransferStatus.choices,
        default=TransferStatus.REQUESTED,
        db_index=True,
        editable=False,
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        editable=False,
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("stock transfer")
        verbose_name_plural = _("stock transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_warehouse=F("to_warehouse")), name="inventory_transfer_two_warehouses"
            ),
        ]
        permissions = [
            ("ship_stocktransfer", _("Can ship stock transfers")),
            ("receive_stocktransfer", _("Can receive stock transfers")),
        ]

    def __str__(self):
        return self.number


class StockTransferLine(models.Model):
    transfer = models.ForeignKey(
        StockTransfer, on_delete=models.CASCADE, related_name="lines", verbose_name=_("transfer")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="transfer_lines", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    quantity_shipped = models.PositiveIntegerField(_("quantity shipped"), default=0, editable=False)
    quantity_received = models.PositiveIntegerField(_("quantity received"), default=0, editable=False)

    class Meta:
        verbose_name = _("stock transfer line")
        verbose_name_plural = _("stock transfer lines")
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "product"], name="inventory_transferline_product_uniq"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_transferline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity")),
                name="inventory_transferline_shipped_lte_qty",
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_shipped")),
                name="inventory_transferline_received_lte_shipped",
            ),
        ]

    def __str__(self):
        return f"{self.transfer_id}: {self.product_id} × {self.quantity}"


class StockTransferEvent(TimelineEvent):
    """Append-only timeline of a stock transfer: who, when, what, from → to."""

    kinds = TransferEventKind

    transfer = models.ForeignKey(
        StockTransfer, on_delete=models.CASCADE, related_name="events", verbose_name=_("transfer")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=TransferStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=TransferStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("stock transfer event")
        verbose_name_plural = _("stock transfer events")
        indexes = [
            models.Index(fields=["transfer", "-created_at", "-id"], name="inventory_trevent_transfer_idx")
        ]

    def __str__(self):
        return f"{self.transfer_id} {self.kind_label}"


class WarehouseShippingCost(models.Model):
    """What shipping an order from a warehouse to a region costs us: per shipment plus per unit.

    Allocation ranks warehouses by this cost instead of distance when the table has a row for the
    destination (its region, else the warehouse's catch-all row with an empty region).
    """

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="shipping_costs", verbose_name=_("warehouse")
    )
    region = models.CharField(
        _("destination region / province"),
        max_length=80,
        blank=True,
        help_text=_("Leave empty for every region without a row of its own."),
    )
    per_shipment = models.DecimalField(
        _("cost per shipment"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    per_unit = models.DecimalField(
        _("cost per unit"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )

    class Meta:
        verbose_name = _("warehouse shipping cost")
        verbose_name_plural = _("warehouse shipping costs")
        ordering = ["warehouse__code", "region"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "region"], name="inventory_shipcost_wh_region_uniq"),
            models.CheckConstraint(
                condition=Q(per_shipment__gte=0) & Q(per_unit__gte=0), name="inventory_shipcost_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.warehouse.code} → {self.region or '*'}"


class ExpectedReceipt(TimeStampedModel):
    """Goods announced ahead of their arrival: a purchase or a production run due into a warehouse.

    Counted as incoming supply by available-to-promise (inventory.selectors.atp_timeline) from
    `expected_on` until it is received; receiving it (inventory.receipts.expected_receipt_receive)
    books the units through the ledger and sets `received`, after which it no longer counts.
    """

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="expected_receipts", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="expected_receipts", verbose_name=_("warehouse")
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    expected_on = models.DateField(_("expected on"), db_index=True)
    reference = models.CharField(
        _("reference"), max_length=80, blank=True, help_text=_("Purchase order, supplier or work order.")
    )
    received = models.BooleanField(_("received"), default=False, editable=False)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("expected receipt")
        verbose_name_plural = _("expected receipts")
        ordering = ["expected_on", "id"]
        indexes = [
            models.Index(
                fields=["product", "expected_on"],
                condition=Q(received=False),
                name="inventory_expreceipt_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_expreceipt_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(received=False, received_at__isnull=True)
                | Q(received=True, received_at__isnull=False),
                name="inventory_expreceipt_received_at_iff_received",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku}@{self.warehouse.code} × {self.quantity} ({self.expected_on})"
