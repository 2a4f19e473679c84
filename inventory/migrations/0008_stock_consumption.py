from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_warehouse_shipping_costs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stockmovement",
            name="kind",
            field=models.CharField(
                choices=[
                    ("receipt", "receipt"),
                    ("reservation", "reservation"),
                    ("release", "release"),
                    ("shipment", "shipment"),
                    ("transfer_out", "transfer out"),
                    ("transfer_in", "transfer in"),
                    ("adjustment", "adjustment"),
                    ("return", "return"),
                    ("consumption", "consumption"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
    ]
