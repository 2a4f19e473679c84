from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from production.states import WorkOrderStatus


class Plant(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region / province"), max_length=80)
    daily_capacity = models.PositiveIntegerField(_("daily capacity (units)"), default=10)

    class Meta:
        verbose_name = _("plant")
        verbose_name_plural = _("plants")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class WorkOrder(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("order line")
    )
    plant = models.ForeignKey(
        Plant, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("plant")
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WorkOrderStatus.choices,
        default=WorkOrderStatus.PLANNED,
        db_index=True,
    )
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress_percent = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    eta = models.DateField(_("estimated completion"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="production_wo_quantity_gt_0"),
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100),
                name="production_workorder_progress_percent_lte_100",
            ),
        ]

    def __str__(self):
        return self.number
