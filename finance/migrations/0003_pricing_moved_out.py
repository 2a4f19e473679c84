"""Tier discounts, customer prices and shipping rates now belong to the `pricing` app.

State only: the tables stay where they are (pricing's models keep their `db_table`), and
pricing/migrations/0001_initial.py takes the models over in its state.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0002_invoice_timeline"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CustomerPrice"),
                migrations.DeleteModel(name="ShippingRate"),
                migrations.DeleteModel(name="TierDiscount"),
            ],
            database_operations=[],
        ),
    ]
