"""Existing work orders get their order, product and kind from their line before the kind
constraint is added (a migration of its own: PostgreSQL refuses ALTER TABLE with the row updates'
deferred foreign-key checks pending in the same transaction)."""

from django.db import migrations, models


def _fill_from_lines(apps, schema_editor):
    """Work orders saved before this release name their order line only: take the order and product
    from it (so the kind constraint holds), and turn the retired "delayed" status back into progress
    (a delay is now `delayed_since`, not a status)."""
    WorkOrder = apps.get_model("production", "WorkOrder")
    for wo in WorkOrder.objects.select_related("order_line").iterator():
        wo.kind = "order" if wo.order_line_id else "stock"
        wo.order_id = wo.order_line.order_id if wo.order_line_id else None
        wo.product_id = wo.order_line.product_id if wo.order_line_id else wo.product_id
        if wo.status == "delayed":
            wo.status = "in_progress"
        wo.save(update_fields=["kind", "order", "product", "status"])


class Migration(migrations.Migration):

    dependencies = [
        ("production", "0003_production_tracking"),
    ]

    operations = [
        migrations.RunPython(_fill_from_lines, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='workorder',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'stock'), ('order__isnull', True), ('order_line__isnull', True)), models.Q(('kind', 'order'), ('order__isnull', False), ('order_line__isnull', False)), _connector='OR'), name='production_wo_kind_order_line'),
        ),
    ]
