# The allocation backlog (approved orders allocation has not looked at yet), most urgent first: a
# partial index, so taking a batch of it, or finding it empty, reads only the orders waiting.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_production_tracking"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                models.OrderBy(models.F("priority"), descending=True),
                models.OrderBy(models.F("approved_at")),
                models.F("id"),
                condition=models.Q(("allocation_status", ""), ("status", "approved")),
                name="orders_allocation_backlog_idx",
            ),
        ),
    ]
