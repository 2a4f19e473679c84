"""Production: plants and their lines, working calendars, routings and bills of materials (master
data kept by the production scheduler), and the work orders built from them with their capacity
bookings, stages, material needs, shop-floor events, batches and serial numbers.

Every write goes through production.services; the admin, the portal, the shop-floor API and the
workers call them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel
from production.states import (
    StageStatus,
    TrackingMode,
    WorkOrderEventKind,
    WorkOrderKind,
    WorkOrderStatus,
)

POSITIVE_DECIMAL = MinValueValidator(Decimal("0.01"))
WEEKDAYS = RegexValidator(
    r"^[1-7]{0,7}$", _("List the working weekdays as digits, 1 = Monday … 7 = Sunday (e.g. 12345).")
)


class ProductFamily(models.Model):
    """Products built alike: one routing, lines that can build them, how finished units are numbered.

    A product belongs to the family of its category (FamilyCategory: a category is in one family).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    tracking = models.CharField(
        _("traceability"), max_length=10, choices=TrackingMode.choices, default=TrackingMode.BATCH
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product family")
        verbose_name_plural = _("product families")
        ordering = ["code"]

    def __str__(self):
        return self.name


class FamilyCategory(models.Model):
    family = models.ForeignKey(
        ProductFamily, on_delete=models.CASCADE, related_name="category_links", verbose_name=_("family")
    )
    category = models.OneToOneField(
        "inventory.Category",
        on_delete=models.CASCADE,
        related_name="production_family",
        verbose_name=_("category"),
    )

    class Meta:
        verbose_name = _("family category")
        verbose_name_plural = _("family categories")

    def __str__(self):
        return f"{self.family} ← {self.category}"


class Plant(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region / province"), max_length=80)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=False,
        related_name="plants",
        verbose_name=_("warehouse"),
        help_text=_("Where the plant's components are drawn from and its finished units are received."),
    )
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default="12345",
        validators=[WEEKDAYS],
        help_text=_("Digits of the weekdays the plant works, 1 = Monday … 7 = Sunday."),
    )
    hours_per_day = models.PositiveSmallIntegerField(
        _("working hours per day"), default=8, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    day_starts_at = models.TimeField(_("working day starts at"), default="08:00")
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="supervised_plants",
        verbose_name=_("supervisors"),
        help_text=_("Plant supervisors may record stage progress of this plant's work orders in the portal."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("plant")
        verbose_name_plural = _("plants")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gte=1) & Q(hours_per_day__lte=24),
                name="production_plant_hours_per_day_1_24",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class PlantDay(models.Model):
    """An exception to the plant's working weekdays: a holiday, or a weekend made a working day."""

    plant = models.ForeignKey(
        Plant, on_delete=models.CASCADE, related_name="calendar", verbose_name=_("plant")
    )
    date = models.DateField(_("date"))
    is_working = models.BooleanField(
        _("working day"), default=False, help_text=_("Unticked: a holiday. Ticked: a make-up working day.")
    )
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["plant_id", "date"]
        constraints = [models.UniqueConstraint(fields=["plant", "date"], name="production_plantday_uniq")]

    def __str__(self):
        return f"{self.plant.code} {self.date}"


class ProductionLine(models.Model):
    """A line of a plant that builds one product family, so many units a working day."""

    plant = models.ForeignKey(Plant, on_delete=models.CASCADE, related_name="lines", verbose_name=_("plant"))
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    family = models.ForeignKey(
        ProductFamily, on_delete=models.PROTECT, related_name="lines", verbose_name=_("product family")
    )
    units_per_day = models.PositiveIntegerField(
        _("capacity (units per day)"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("production line")
        verbose_name_plural = _("production lines")
        ordering = ["plant_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plant", "code"], name="production_line_code_uniq"),
            models.CheckConstraint(condition=Q(units_per_day__gte=1), name="production_line_capacity_gte_1"),
        ]

    def __str__(self):
        return f"{self.plant.code}/{self.code} {self.name}"


class RoutingStage(models.Model):
    """One step of a family's routing, in order, with its standard duration in working days."""

    family = models.ForeignKey(
        ProductFamily, on_delete=models.CASCADE, related_name="routing", verbose_name=_("product family")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    standard_days = models.DecimalField(
        _("standard duration (working days)"), max_digits=5, decimal_places=2, validators=[POSITIVE_DECIMAL]
    )

    class Meta:
        verbose_name = _("routing stage")
        verbose_name_plural = _("routing stages")
        ordering = ["family_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["family", "position"], name="production_routing_position_uniq"),
            models.UniqueConstraint(fields=["family", "code"], name="production_routing_code_uniq"),
            models.CheckConstraint(condition=Q(standard_days__gt=0), name="production_routing_days_gt_0"),
        ]

    def __str__(self):
        return f"{self.family.code}:{self.position} {self.name}"


class BomLine(models.Model):
    """A component a product needs per unit built; with an option value, only when that value is chosen."""

    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="bom_lines", verbose_name=_("product")
    )
    option_value = models.ForeignKey(
        "inventory.ProductOptionValue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bom_lines",
        verbose_name=_("option value"),
        help_text=_("Empty: needed by every configuration."),
    )
    component = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="used_in", verbose_name=_("component")
    )
    quantity = models.DecimalField(
        _("quantity per unit"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    class Meta:
        verbose_name = _("bill of materials line")
        verbose_name_plural = _("bill of materials")
        ordering = ["product_id", "option_value_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_bom_quantity_gt_0"),
            models.UniqueConstraint(
                fields=["product", "component"],
                condition=Q(option_value__isnull=True),
                name="production_bom_base_uniq",
            ),
            models.UniqueConstraint(
                fields=["product", "option_value", "component"],
                condition=Q(option_value__isnull=False),
                name="production_bom_option_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} ← {self.component.sku} × {self.quantity}"


class WorkOrder(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=WorkOrderKind.choices, default=WorkOrderKind.ORDER
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("order"),
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("order line"),
    )
    product = models.ForeignKey(
        "inventory.Product",
        on_delete=models.PROTECT,
        null=True,
        related_name="work_orders",
        verbose_name=_("product"),
    )
    options = models.JSONField(_("configuration"), default=dict, blank=True)
    plant = models.ForeignKey(
        Plant, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("plant")
    )
    line = models.ForeignKey(
        ProductionLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("production line"),
    )
    # The queue position on its line: the schedule books lines in this order.
    sequence = models.PositiveIntegerField(_("sequence"), default=0, db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WorkOrderStatus.choices,
        default=WorkOrderStatus.PLANNED,
        db_index=True,
    )
    stage = models.CharField(_("current stage"), max_length=80, blank=True)
    progress_percent = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateTimeField(_("planned completion"), null=True, blank=True)
    # Asked for when the work order was made: re-booking its line never plans it earlier.
    earliest_start = models.DateField(_("not before"), null=True, blank=True)
    promised_date = models.DateField(
        _("promised date"),
        null=True,
        blank=True,
        help_text=_("The completion date promised for the order line when the work order was scheduled."),
    )
    eta = models.DateTimeField(_("estimated completion"), null=True, blank=True)
    delayed_since = models.DateTimeField(_("delayed since"), null=True, blank=True)
    materials_short = models.BooleanField(_("materials short"), default=False, db_index=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("receiving warehouse"),
    )
    expected_receipt = models.OneToOneField(
        "inventory.ExpectedReceipt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_order",
        verbose_name=_("expected receipt"),
    )
    split_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="splits",
        verbose_name=_("split from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at"]
        permissions = [("progress_workorder", _("Can record work order progress"))]
        indexes = [
            models.Index(fields=["line", "sequence"], name="production_wo_line_seq_idx"),
            models.Index(fields=["plant", "status"], name="production_wo_plant_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="production_wo_quantity_gt_0"),
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100),
                name="production_workorder_progress_percent_lte_100",
            ),
            # A customer's work order builds one of its lines; a make-to-stock one builds for no order.
            models.CheckConstraint(
                condition=Q(kind=WorkOrderKind.STOCK, order_line__isnull=True, order__isnull=True)
                | Q(kind=WorkOrderKind.ORDER, order_line__isnull=False, order__isnull=False),
                name="production_wo_kind_order_line",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_delayed(self) -> bool:
        return self.delayed_since is not None


class WorkOrderLoad(models.Model):
    """Units of a work order booked on its line for one working day: the capacity the schedule uses."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="loads", verbose_name=_("work order")
    )
    line = models.ForeignKey(
        ProductionLine, on_delete=models.CASCADE, related_name="loads", verbose_name=_("production line")
    )
    day = models.DateField(_("day"))
    units = models.PositiveIntegerField(_("units"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("capacity booking")
        verbose_name_plural = _("capacity bookings")
        ordering = ["line_id", "day", "id"]
        indexes = [models.Index(fields=["line", "day"], name="production_load_line_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "day"], name="production_load_wo_day_uniq"),
            models.CheckConstraint(condition=Q(units__gte=1), name="production_load_units_gte_1"),
        ]

    def __str__(self):
        return f"{self.work_order.number} {self.day} × {self.units}"


class WorkOrderStage(models.Model):
    """A work order's copy of one routing stage: its plan, and when it really started and finished."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="stages", verbose_name=_("work order")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    standard_days = models.DecimalField(_("standard duration (working days)"), max_digits=5, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=StageStatus.choices, default=StageStatus.PENDING
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateTimeField(_("planned finish"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("work order stage")
        verbose_name_plural = _("work order stages")
        ordering = ["work_order_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "position"], name="production_wostage_position_uniq"
            ),
            models.UniqueConstraint(fields=["work_order", "code"], name="production_wostage_code_uniq"),
        ]

    def __str__(self):
        return f"{self.work_order.number}:{self.name}"


class WorkOrderMaterial(models.Model):
    """A component a work order needs (its bill of materials times the quantity) and what it holds."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="materials", verbose_name=_("work order")
    )
    component = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("component")
    )
    quantity = models.PositiveIntegerField(_("quantity needed"), validators=[MinValueValidator(1)])
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    consumed = models.PositiveIntegerField(_("consumed"), default=0)
    lot_numbers = models.CharField(
        _("component batches"),
        max_length=200,
        blank=True,
        help_text=_("The supplier or production batches the components were taken from."),
    )

    class Meta:
        verbose_name = _("work order material")
        verbose_name_plural = _("work order materials")
        ordering = ["work_order_id", "component_id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "component"], name="production_material_uniq"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="production_material_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("quantity")) & Q(consumed__lte=models.F("quantity")),
                name="production_material_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.work_order.number} ← {self.component.sku} × {self.quantity}"


class WorkOrderEvent(TimelineEvent):
    """Append-only timeline of a work order: planning, stages, delays, completion."""

    kinds = WorkOrderEventKind

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("work order")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=WorkOrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=WorkOrderStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        indexes = [
            models.Index(fields=["work_order", "-created_at", "-id"], name="production_woevent_wo_idx")
        ]


class ShopFloorDevice(models.Model):
    """A shop-floor terminal of one plant; it authenticates with a token shown once when it is made."""

    plant = models.ForeignKey(
        Plant, on_delete=models.CASCADE, related_name="devices", verbose_name=_("plant")
    )
    name = models.CharField(_("name"), max_length=80)
    token_prefix = models.CharField(_("token prefix"), max_length=12, editable=False)
    # sha256 of the token: the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("shop-floor device")
        verbose_name_plural = _("shop-floor devices")
        ordering = ["plant_id", "name"]

    def __str__(self):
        return f"{self.plant.code} {self.name}"


class ShopFloorEvent(models.Model):
    """A progress report a device sent, kept by its event id so a repeated report is replayed."""

    device = models.ForeignKey(
        ShopFloorDevice, on_delete=models.CASCADE, related_name="events", verbose_name=_("device")
    )
    event_id = models.CharField(_("event id"), max_length=64)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="shop_floor_events", verbose_name=_("work order")
    )
    action = models.CharField(_("action"), max_length=10)
    stage_code = models.CharField(_("stage"), max_length=40)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    response = models.JSONField(_("response"), default=dict)

    class Meta:
        verbose_name = _("shop-floor event")
        verbose_name_plural = _("shop-floor events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "event_id"], name="production_sfevent_device_event_uniq"
            )
        ]

    def __str__(self):
        return f"{self.device} {self.event_id}"


class ProductionBatch(models.Model):
    """The units a work order finished together, under one batch number."""

    number = models.CharField(_("batch number"), max_length=40, unique=True)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="batches", verbose_name=_("work order")
    )
    plant = models.ForeignKey(
        Plant, on_delete=models.PROTECT, related_name="batches", verbose_name=_("plant")
    )
    product = models.ForeignKey(
        "inventory.Product",
        on_delete=models.PROTECT,
        related_name="production_batches",
        verbose_name=_("product"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    produced_at = models.DateTimeField(_("produced at"), default=timezone.now)

    class Meta:
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")
        ordering = ["-produced_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="production_batch_quantity_gte_1")
        ]

    def __str__(self):
        return self.number


class SerialNumber(models.Model):
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    batch = models.ForeignKey(
        ProductionBatch, on_delete=models.PROTECT, related_name="serials", verbose_name=_("batch")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="serial_numbers",
        verbose_name=_("order line"),
    )

    class Meta:
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        ordering = ["serial"]

    def __str__(self):
        return self.serial
