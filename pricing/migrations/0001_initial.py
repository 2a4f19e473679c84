"""Pricing's models, taken over from finance (finance/migrations/0003_pricing_moved_out.py).

The tables already exist under their finance names, so the models are created in the state only.
Their content types are renamed (finance → pricing) rather than recreated, so every permission,
group assignment and admin log entry that points at them stays valid.
"""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models

MODELS = ("tierdiscount", "customerprice", "shippingrate")


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(using).filter(app_label=source, model=model).first()
        if old is None:
            continue  # a fresh database: post_migrate creates the content type under its new label
        new = ContentType.objects.using(using).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (post_migrate ran in between): hand the old permissions' groups and users to the
        # new ones, then drop the old content type with its permissions.
        for old_perm in Permission.objects.using(using).filter(content_type=old):
            new_perm = Permission.objects.using(using).filter(content_type=new, codename=old_perm.codename).first()
            if new_perm is not None:
                new_perm.group_set.add(*old_perm.group_set.all())
                new_perm.user_set.add(*old_perm.user_set.all())
        old.delete()


def content_types_to_pricing(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, source="finance", target="pricing")


def content_types_to_finance(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, source="pricing", target="finance")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0001_initial"),
        ("inventory", "0001_initial"),
        ("finance", "0003_pricing_moved_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ShippingRate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("region", models.CharField(help_text="Use * for the default rate.", max_length=80, unique=True, verbose_name="region / province")),
                        ("base_fee", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=10, verbose_name="base fee")),
                        ("per_kg", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=10, verbose_name="per kg")),
                        ("free_above", models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="free above order subtotal")),
                        ("transit_days", models.PositiveSmallIntegerField(default=3, verbose_name="transit days")),
                    ],
                    options={
                        "verbose_name": "shipping rate",
                        "verbose_name_plural": "shipping rates",
                        "db_table": "finance_shippingrate",
                    },
                ),
                migrations.CreateModel(
                    name="TierDiscount",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("tier", models.CharField(choices=[("standard", "Standard"), ("silver", "Silver"), ("gold", "Gold"), ("platinum", "Platinum")], max_length=20, unique=True, verbose_name="tier")),
                        ("percent", models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal("0")), django.core.validators.MaxValueValidator(Decimal("100"))], verbose_name="discount %")),
                    ],
                    options={
                        "verbose_name": "tier discount",
                        "verbose_name_plural": "tier discounts",
                        "db_table": "finance_tierdiscount",
                    },
                ),
                migrations.CreateModel(
                    name="CustomerPrice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("price", models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name="price")),
                        ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="prices", to="crm.customer", verbose_name="customer")),
                        ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="customer_prices", to="inventory.product", verbose_name="product")),
                    ],
                    options={
                        "verbose_name": "customer price",
                        "verbose_name_plural": "customer prices",
                        "db_table": "finance_customerprice",
                        "constraints": [models.UniqueConstraint(fields=("customer", "product"), name="finance_customerprice_uniq")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_pricing, content_types_to_finance),
    ]
