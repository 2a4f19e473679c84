from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel
from crm.roles import role_label
from orders.priority import MAX_WEIGHT, PriorityFactorCode
from orders.states import OrderEventKind, OrderStatus

NOT_NEGATIVE = MinValueValidator(Decimal("0"))


class Channel(models.TextChoices):
    DEALER_API = "dealer_api", _("Dealer API")
    KEY_ACCOUNT = "key_account", _("Key account")
    ONLINE = "online", _("Online store")
    STORE = "store", _("Retail store")
    SALES_REP = "sales_rep", _("Sales rep")
    PHONE_EMAIL = "phone_email", _("Phone / email")
    IMPORT = "import", _("Excel import")
    ADMIN = "admin", _("Admin")


class AllocationStatus(models.TextChoices):
    """Where an order's stock lines stand in inventory (built-to-order lines are production's)."""

    NONE = "", _("Not allocated")
    ALLOCATED = "allocated", _("Fully reserved")
    PARTIAL = "partial", _("Partly reserved, rest backordered")
    BACKORDERED = "backordered", _("Backordered")
    NOT_NEEDED = "not_needed", _("Nothing to take from stock")
    RELEASED = "released", _("Reservations released")


class Order(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.DRAFT,
        db_index=True,
        editable=False,
    )
    status_before_hold = models.CharField(
        _("status before hold"), max_length=20, choices=OrderStatus.choices, blank=True, editable=False
    )
    requested_delivery_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    promised_delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    subtotal = models.DecimalField(
        _("subtotal"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    discount_total = models.DecimalField(
        _("discount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    tax_total = models.DecimalField(
        _("tax"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    shipping_fee = models.DecimalField(
        _("shipping fee"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    total = models.DecimalField(
        _("total"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        db_index=True,
        validators=[MaxValueValidator(100)],
        help_text=_("0–100, higher first; scored by the system."),
    )
    # Written with `priority` by orders.services.priority: one entry per factor that counts
    # ({"factor", "weight", "share", "points", "fact"}, orders.priority.score); the points sum to it.
    priority_breakdown = models.JSONField(_("priority breakdown"), default=list, blank=True, editable=False)
    # No promotion fact exists elsewhere (pricing has tier discounts and negotiated prices only):
    # order managers flag an order placed under a sales promotion (orders.services.order_set_promotion).
    is_promotion = models.BooleanField(
        _("promotion order"),
        default=False,
        editable=False,
        help_text=_(
            "Placed under a sales promotion or campaign; counts toward priority when the promotion "
            "factor has a weight. Set by order managers."
        ),
    )
    accepts_partial_shipments = models.BooleanField(
        _("accepts partial shipments"),
        default=True,
        help_text=_("Ship the lines in stock now and backorders later; otherwise ship complete."),
    )
    # Written only by orders.services.allocation (stock reserved through inventory).
    allocation_status = models.CharField(
        _("allocation"),
        max_length=16,
        choices=AllocationStatus.choices,
        default=AllocationStatus.NONE,
        db_index=True,
        editable=False,
    )
    allocation = models.JSONField(
        _("allocation decision"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Which warehouse ships each line and why; what is backordered."),
    )
    external_reference = models.CharField(_("external reference"), max_length=80, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    # Optimistic concurrency: every write bumps it; an edit based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    in_review_at = models.DateTimeField(_("in review at"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True, editable=False)
    in_production_at = models.DateTimeField(_("in production at"), null=True, blank=True, editable=False)
    ready_to_ship_at = models.DateTimeField(_("ready to ship at"), null=True, blank=True, editable=False)
    partially_shipped_at = models.DateTimeField(
        _("partially shipped at"), null=True, blank=True, editable=False
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    on_hold_at = models.DateTimeField(_("on hold at"), null=True, blank=True, editable=False)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="orders_customer_created_idx"),
            models.Index(fields=["status", "-priority"], name="orders_status_priority_idx"),
            # The allocation backlog, most urgent first (orders.services.allocation): approved orders
            # allocation has not looked at yet. Small, and empty once the workers have caught up.
            # approved_at ascending puts nulls last on PostgreSQL (SQLite refuses the clause itself).
            models.Index(
                F("priority").desc(),
                F("approved_at").asc(),
                "id",
                condition=Q(status="approved", allocation_status=""),
                name="orders_allocation_backlog_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_reference"],
                condition=~Q(external_reference=""),
                name="orders_customer_external_ref_uniq",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="orders_order_subtotal_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0), name="orders_order_discount_total_gte_0"
            ),
            models.CheckConstraint(condition=Q(tax_total__gte=0), name="orders_order_tax_total_gte_0"),
            models.CheckConstraint(condition=Q(shipping_fee__gte=0), name="orders_order_shipping_fee_gte_0"),
            models.CheckConstraint(condition=Q(priority__lte=100), name="orders_order_priority_lte_100"),
        ]
        permissions = [
            ("review_order", _("Can review, approve and reject orders")),
            ("hold_order", _("Can put orders on hold and release them")),
            ("cancel_order", _("Can cancel orders")),
            ("fulfil_order", _("Can move orders through allocation and production")),
            ("ship_order", _("Can mark orders shipped and delivered")),
            ("complete_order", _("Can complete orders")),
        ]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    description = models.CharField(_("description"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    options = models.JSONField(_("configuration"), default=dict, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    discount_percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE, MaxValueValidator(Decimal("100"))],
    )
    discount_amount = models.DecimalField(
        _("discount amount"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    net_amount = models.DecimalField(
        _("net amount"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    # A fraction (0.13 is 13 %), unlike discount_percent.
    tax_rate = models.DecimalField(
        _("tax rate"),
        max_digits=5,
        decimal_places=4,
        validators=[NOT_NEGATIVE, MaxValueValidator(Decimal("1"))],
    )
    tax_amount = models.DecimalField(_("tax"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE])
    line_total = models.DecimalField(
        _("line total"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    is_custom_build = models.BooleanField(_("custom build"), default=False)
    # Written by inventory/production/logistics through orders services (summaries are written down).
    quantity_allocated = models.PositiveIntegerField(_("allocated"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    # Lines production builds: where the build stands, written by production through
    # orders.services.production (the completion date promised when it was scheduled, and the
    # estimate the shop floor's progress gives now).
    production_stage = models.CharField(_("production stage"), max_length=80, blank=True)
    production_progress = models.PositiveSmallIntegerField(
        _("production progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    promised_date = models.DateField(_("promised ready date"), null=True, blank=True)
    eta = models.DateField(_("estimated ready date"), null=True, blank=True)
    # What this line counts in its product's committed demand (CommittedDemand): its units not reserved
    # yet while its order is submitted and not closed, else 0. Written only with a ledger entry for the
    # difference (orders.services.commitments).
    committed_units = models.PositiveIntegerField(_("committed, not reserved"), default=0, editable=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orders_line_position_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orders_orderline_unit_price_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="orders_orderline_discount_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0), name="orders_orderline_discount_amount_gte_0"
            ),
            models.CheckConstraint(condition=Q(net_amount__gte=0), name="orders_orderline_net_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=1), name="orders_orderline_tax_rate_0_1"
            ),
            models.CheckConstraint(condition=Q(tax_amount__gte=0), name="orders_orderline_tax_amount_gte_0"),
            models.CheckConstraint(condition=Q(line_total__gte=0), name="orders_orderline_line_total_gte_0"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=models.F("quantity")),
                name="orders_line_shipped_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_allocated__lte=models.F("quantity")),
                name="orders_line_allocated_lte_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}#{self.position} {self.sku} × {self.quantity}"

    @property
    def from_stock(self) -> bool:
        """Taken from stock (allocated, shipped from a warehouse): neither a custom build nor a
        made-to-order product, which production builds. Reads the product: select it with the line."""
        return not self.is_custom_build and not self.product.made_to_order

    @property
    def production(self) -> dict | None:
        """Where the line's build stands, from the summary production keeps on it (the dealer API's
        `production`, the webhooks' line): None for a line production has said nothing about (taken
        from stock, or a made-to-order line not scheduled yet). Row-local: no query."""
        if not (self.is_custom_build or self.promised_date or self.eta or self.production_stage):
            return None
        return {
            "stage": self.production_stage,
            "progress_percent": self.production_progress,
            "promised_date": self.promised_date.isoformat() if self.promised_date else None,
            "eta": self.eta.isoformat() if self.eta else None,
            "delayed": bool(self.eta and self.promised_date and self.eta > self.promised_date),
        }


class OrderEvent(TimelineEvent):
    """Append-only timeline of an order: who, when, what, from → to."""

    kinds = OrderEventKind

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["order", "-created_at", "-id"], name="orders_event_order_idx")]

    def __str__(self):
        return f"{self.order_id} {self.kind_label}"


class CommittedDemand(models.Model):
    """One change of a product's committed demand: units promised to open orders, not reserved yet.

    A ledger: every change of a line's `committed_units` adds a row with the difference, in the same
    transaction; a product's committed demand is the sum of its rows, and folding replaces them by one
    row with their sum (orders.services.commitments). Rows are only inserted or folded, never updated:
    writers never wait on each other for them.
    """

    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    units = models.IntegerField(_("units"))

    class Meta:
        verbose_name = _("committed demand entry")
        verbose_name_plural = _("committed demand entries")
        # (product, units): the sums are read from the index alone.
        indexes = [models.Index(fields=["product", "units"], name="orders_committed_product_idx")]

    def __str__(self):
        return f"{self.product_id}: {self.units:+d}"


class LineAllocation(models.Model):
    """Units of one order line reserved in one warehouse (through inventory's ledger) and shipped from it.

    `quantity` counts every unit reserved there for the line, shipped ones included; what is still
    reserved is `quantity - quantity_shipped`. Written only by orders.services.allocation and the
    shipping record; the ledger's reservations for the line always agree.
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("order")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("order line")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    quantity = models.PositiveIntegerField(_("reserved"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("line allocation")
        verbose_name_plural = _("line allocations")
        ordering = ["line_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "warehouse"], name="orders_allocation_line_wh_uniq"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=models.F("quantity")),
                name="orders_allocation_shipped_lte_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.line_id}@{self.warehouse_id}: {self.quantity}/{self.quantity_shipped}"

    @property
    def quantity_reserved(self) -> int:
        return self.quantity - self.quantity_shipped


class PriorityFactor(models.Model):
    """One factor of the priority score (orders.priority), with its relative weight and parameters.

    One row per factor, created by migration 0005 with the rule of before; order managers edit them in
    the admin through orders.services.priority_factor_update, which rescores open orders afterwards.
    """

    code = models.CharField(
        _("factor"), max_length=20, choices=PriorityFactorCode.choices, unique=True, editable=False
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0, editable=False)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        validators=[MaxValueValidator(MAX_WEIGHT)],
        help_text=_(
            "0–100, relative to the other factors: a factor of weight 40 counts twice as much as one of "
            "20. 0 leaves the factor out."
        ),
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("priority factor")
        verbose_name_plural = _("priority factors")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__lte=MAX_WEIGHT), name="orders_priorityfactor_weight_lte_100"
            ),
        ]

    def __str__(self):
        return str(self.get_code_display())


# ---------------------------------------------------------------------------------------------
# Review (issue #9): rules that decide which approvals an order needs, and the approvals given.
# ---------------------------------------------------------------------------------------------

MAX_REVIEW_LEVEL = 9


class ReviewRule(TimeStampedModel):
    """A condition on an order and the approval it requires: a role (group) at a level.

    `condition` is data, checked by orders.review.condition_validate when saved: a group
    `{"all": [...]}` / `{"any": [...]}` of groups and leaves `{"field": …, "op": …, "value": …}` over
    the closed list of facts in orders.review.FIELDS. `{"all": []}` matches every order.
    Levels are sequential (level 2 is asked once level 1 has approved); rules of one level are asked
    in parallel. Written through orders.services.review_rule_save.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    condition = models.JSONField(_("condition"), default=dict)
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approval by"),
        help_text=_("Members of this group approve the orders the rule matches."),
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_LEVEL)],
        help_text=_(
            "Level 2 is asked once every level-1 approval is given; one level's approvals run in parallel."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("review rule")
        verbose_name_plural = _("review rules")
        ordering = ["level", "sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=MAX_REVIEW_LEVEL), name="orders_reviewrule_level_1_9"
            ),
        ]

    def __str__(self):
        return self.name


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    SUPERSEDED = "superseded", _("No longer needed")


class OrderApproval(models.Model):
    """One approval an order needs in one review round, and the decision taken on it.

    A round starts each time an order is submitted for review; the rules matched then give its steps.
    An order no rule matched gets one level-0 step approved by the system (the record of that decision).
    Rule and group are kept by name too: the history stays readable after either is renamed or deleted.
    Written only by orders.services.review.
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("order")
    )
    round = models.PositiveIntegerField(_("review round"))
    rule = models.ForeignKey(
        ReviewRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    rule_name = models.CharField(_("rule"), max_length=120, blank=True)
    level = models.PositiveSmallIntegerField(_("level"))
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval by"),
    )
    role_name = models.CharField(_("approval by"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # The order's version the decision was taken on (an approval is of the version reviewed).
    order_version = models.PositiveIntegerField(_("order version seen"), null=True, blank=True)
    # The facts the rule was matched on (order total, overdue days …), for the reviewer and the record.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("order approval")
        verbose_name_plural = _("order approvals")
        ordering = ["order_id", "round", "level", "id"]
        indexes = [
            models.Index(fields=["order", "round"], name="orders_approval_round_idx"),
            models.Index(fields=["status", "role"], name="orders_approval_waiting_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "round", "rule"],
                condition=Q(rule__isnull=False),
                name="orders_approval_rule_once_per_round",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} r{self.round} L{self.level} {self.role_name}: {self.status}"

    @property
    def role_label(self) -> str:
        """The approving role in the reader's language (crm.roles.role_label)."""
        return role_label(self.role_name)
