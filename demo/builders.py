"""Reference data of the demo business: users and roles, catalog, places, pricing, customers.

There are no services for master data (it is edited in the admin), so the demo writes it with
get_or_create keyed by natural keys. A row that already exists is left exactly as it is: someone
may have edited it while trying the system, and a second run must not undo that.
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models, transaction

from crm.models import Address, Contact, Customer
from demo import data
from inventory.models import Category, Product, ProductOption, ProductOptionValue, StockLevel, Warehouse
from inventory.services import stock_receive
from logistics.models import Carrier
from orders.models import ReviewRule
from orders.services import review_rule_save
from pricing.models import CustomerPrice, ShippingRate, TierDiscount
from production.models import (
    BomLine,
    FamilyCategory,
    Plant,
    PlantDay,
    ProductFamily,
    ProductionLine,
    RoutingStage,
)


@dataclass
class Tally:
    """Rows created and rows found already there, per model, in the order first seen."""

    counts: dict[type[models.Model], list[int]] = field(default_factory=dict)

    def add(self, model: type[models.Model], created: bool, n: int = 1) -> None:
        row = self.counts.setdefault(model, [0, 0])
        row[0 if created else 1] += n

    def created(self, model: type[models.Model]) -> int:
        return self.counts.get(model, [0, 0])[0]


def _get_or_create(tally: Tally, model: type[models.Model], defaults: dict | None = None, **keys):
    obj, created = model.objects.get_or_create(defaults=defaults or {}, **keys)
    tally.add(model, created)
    return obj


def seed_users(*, tally: Tally) -> dict[str, models.Model]:
    """Groups and demo users; a user is given the demo password only when it is created."""
    User = get_user_model()
    groups = {}
    for name in (
        data.GROUP_ORDER_MANAGER,
        data.GROUP_SALES_DIRECTOR,
        data.GROUP_SALES_REP,
        data.GROUP_SCHEDULER,
        data.GROUP_LOGISTICS,
        data.GROUP_FINANCE,
        data.GROUP_DEALER,
        data.GROUP_PLANT_SUPERVISOR,
    ):
        # `migrate` normally created it already, with its permissions (crm/roles.py, sync_roles).
        groups[name] = _get_or_create(tally, Group, name=name)
    users = {}
    password_hash = ""
    for spec in data.USERS:
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "is_staff": spec.is_staff,
                    "is_superuser": spec.is_superuser,
                    "email": f"{spec.username}@demo.example.com",
                },
            )
            if created:
                # One hash for every demo user: they share the password, and hashing is deliberately slow.
                password_hash = password_hash or make_password(data.DEMO_PASSWORD)
                user.password = password_hash
                user.save(update_fields=["password"])
            if spec.group:
                user.groups.add(groups[spec.group])
        tally.add(User, created)
        users[spec.username] = user
    return users


def seed_review_rules(*, tally: Tally) -> None:
    """The demo's review rules (data.REVIEW_RULES), each checked and saved through the review service
    when it does not exist yet; an existing rule is left as it is."""
    existing = set(
        ReviewRule.objects.filter(name__in=[r.name for r in data.REVIEW_RULES]).values_list("name", flat=True)
    )
    for spec in data.REVIEW_RULES:
        if spec.name in existing:
            tally.add(ReviewRule, False)
            continue
        review_rule_save(
            rule=ReviewRule(
                name=spec.name,
                description=spec.description,
                condition=spec.condition,
                role=Group.objects.get(name=spec.group),
                level=spec.level,
            )
        )
        tally.add(ReviewRule, True)


def seed_catalog(*, tally: Tally) -> dict[str, Product]:
    categories = {
        code: _get_or_create(tally, Category, code=code, defaults={"name": name})
        for code, name in data.CATEGORIES
    }
    products = {}
    for spec in data.PRODUCTS:
        with transaction.atomic():
            product = _get_or_create(
                tally,
                Product,
                sku=spec.sku,
                defaults={
                    "name": spec.name,
                    "series": spec.series,
                    "category": categories[spec.category],
                    "unit": spec.unit,
                    "pack_size": spec.pack_size,
                    "unit_cost": spec.unit_cost,
                    "list_price": spec.list_price,
                    "weight_kg": spec.weight_kg,
                    "volume_m3": spec.volume_m3,
                    "is_fragile": spec.is_fragile,
                    "made_to_order": spec.made_to_order,
                    "lead_time_days": spec.lead_time_days,
                    "description": spec.description,
                },
            )
            for position, option_spec in enumerate(spec.options):
                option = _get_or_create(
                    tally,
                    ProductOption,
                    product=product,
                    code=option_spec.code,
                    defaults={
                        "name": option_spec.name,
                        "required": option_spec.required,
                        "position": position,
                    },
                )
                for value_position, value in enumerate(option_spec.values):
                    _get_or_create(
                        tally,
                        ProductOptionValue,
                        option=option,
                        code=value.code,
                        defaults={
                            "name": value.name,
                            "price_delta": value.price_delta,
                            "is_custom": value.is_custom,
                            "position": value_position,
                        },
                    )
        products[spec.sku] = product
    return products


def _stock_quantity(spec: data.ProductSpec, warehouse: data.WarehouseSpec) -> tuple[int, int] | None:
    """(on hand, reorder point) of a product in a warehouse, or None when it is not stocked there.

    Some levels are zero and some sit below their reorder point, so replenishment screens have work.
    """
    rng = random.Random(f"stock:{spec.sku}:{warehouse.code}")
    if rng.random() < 0.3:
        return None
    typical = {"truck": 4, "lighting": 600, "consumable": 1500}[spec.kind]
    reorder_point = max(1, typical // 5) // spec.pack_size * spec.pack_size or spec.pack_size
    roll = rng.random()
    if roll < 0.12:
        on_hand = 0
    elif roll < 0.3:
        on_hand = rng.randint(0, reorder_point)
    else:
        on_hand = rng.randint(reorder_point, typical * 2)
    return on_hand // spec.pack_size * spec.pack_size, reorder_point


def _seed_stock(
    tally: Tally, *, product: Product, warehouse: Warehouse, on_hand: int, reorder_point: int
) -> None:
    """A stock row with its reorder point; its opening stock is received through the ledger (once)."""
    level, created = StockLevel.objects.get_or_create(
        product=product, warehouse=warehouse, defaults={"reorder_point": reorder_point}
    )
    tally.add(StockLevel, created)
    if created and on_hand:
        stock_receive(
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=on_hand,
            reason="demo opening stock",
        )


def seed_places(*, tally: Tally, products: dict[str, Product]) -> None:
    warehouses = {}
    for spec in data.WAREHOUSES:
        warehouses[spec.code] = _get_or_create(
            tally,
            Warehouse,
            code=spec.code,
            defaults={
                "name": spec.name,
                "region": spec.region,
                "city": spec.city,
                "latitude": spec.latitude,
                "longitude": spec.longitude,
            },
        )
    for product_spec in data.PRODUCTS:
        if product_spec.made_to_order:
            continue
        for warehouse_spec in data.WAREHOUSES:
            stock = _stock_quantity(product_spec, warehouse_spec)
            if stock is None:
                continue
            _seed_stock(
                tally,
                product=products[product_spec.sku],
                warehouse=warehouses[warehouse_spec.code],
                on_hand=stock[0],
                reorder_point=stock[1],
            )
    for code, name, template in data.CARRIERS:
        _get_or_create(tally, Carrier, code=code, defaults={"name": name, "tracking_url_template": template})


def seed_customers(*, tally: Tally, users: dict) -> dict[str, Customer]:
    customers = {}
    for spec in data.CUSTOMERS:
        with transaction.atomic():
            customer = _get_or_create(
                tally,
                Customer,
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "kind": spec.kind,
                    "tier": spec.tier,
                    "credit_limit": spec.credit_limit,
                    "payment_terms_days": spec.payment_terms_days,
                    "tax_id": spec.tax_id,
                    "sales_rep": users.get(spec.rep) if spec.rep else None,
                },
            )
            for i, (name, role, phone, email) in enumerate(spec.contacts):
                _get_or_create(
                    tally,
                    Contact,
                    customer=customer,
                    name=name,
                    defaults={"role": role, "phone": phone, "email": email, "is_primary": i == 0},
                )
            for a in spec.addresses:
                _get_or_create(
                    tally,
                    Address,
                    customer=customer,
                    label=a.label,
                    defaults={
                        "recipient": a.recipient,
                        "phone": a.phone,
                        "region": a.region,
                        "city": a.city,
                        "district": a.district,
                        "line1": a.line1,
                        "postal_code": a.postal_code,
                        "latitude": a.latitude,
                        "longitude": a.longitude,
                        "is_default_shipping": a.is_default_shipping,
                    },
                )
            for username in spec.dealer_users:
                customer.users.add(users[username])
        customers[spec.code] = customer
    return customers


def seed_pricing(*, tally: Tally, customers: dict[str, Customer], products: dict[str, Product]) -> None:
    for tier, percent in data.TIER_DISCOUNTS:
        _get_or_create(tally, TierDiscount, tier=tier, defaults={"percent": percent})
    for region, base_fee, per_kg, free_above, transit_days in data.SHIPPING_RATES:
        _get_or_create(
            tally,
            ShippingRate,
            region=region,
            defaults={
                "base_fee": base_fee,
                "per_kg": per_kg,
                "free_above": free_above,
                "transit_days": transit_days,
            },
        )
    for code, sku, price in data.CUSTOMER_PRICES:
        _get_or_create(
            tally, CustomerPrice, customer=customers[code], product=products[sku], defaults={"price": price}
        )


def customer_addresses(customers: dict[str, Customer]) -> dict[tuple[str, str], int]:
    """(customer code, address label) → address id, for choosing where an order ships."""
    by_customer = defaultdict(dict)
    for address in Address.objects.filter(customer__in=customers.values()).select_related("customer"):
        by_customer[address.customer.code].setdefault(address.label, address.pk)
    return {(code, label): pk for code, labels in by_customer.items() for label, pk in labels.items()}


def seed_production(*, tally: Tally, users: dict, products: dict[str, Product]) -> None:
    """Families with their routings, plants with their calendar, lines and supervisors, the components
    (in stock at each plant's warehouse) and the bills of materials of the built products."""
    categories = {c.code: c for c in Category.objects.all()}
    families = {}
    for spec in data.FAMILIES:
        family = families[spec.code] = _get_or_create(
            tally, ProductFamily, code=spec.code, defaults={"name": spec.name, "tracking": spec.tracking}
        )
        for code in spec.categories:
            _get_or_create(tally, FamilyCategory, category=categories[code], defaults={"family": family})
        for position, (code, name, days) in enumerate(spec.routing, start=1):
            _get_or_create(
                tally,
                RoutingStage,
                family=family,
                code=code,
                defaults={"name": name, "position": position, "standard_days": days},
            )
    warehouses = {w.code: w for w in Warehouse.objects.all()}
    plants = {}
    for code, name, region, warehouse, lines, supervisors in data.PLANTS:
        plant = plants[code] = _get_or_create(
            tally,
            Plant,
            code=code,
            defaults={"name": name, "region": region, "warehouse": warehouses[warehouse]},
        )
        if plant.warehouse_id is None:  # a plant of an earlier demo, before plants had a warehouse
            Plant.objects.filter(pk=plant.pk).update(warehouse=warehouses[warehouse])
            plant.warehouse = warehouses[warehouse]
        for line_code, line_name, family, units in lines:
            _get_or_create(
                tally,
                ProductionLine,
                plant=plant,
                code=line_code,
                defaults={"name": line_name, "family": families[family], "units_per_day": units},
            )
        for day, working, day_name in data.PLANT_CALENDAR:
            _get_or_create(
                tally,
                PlantDay,
                plant=plant,
                date=dt.date.fromisoformat(day),
                defaults={"is_working": working, "name": day_name},
            )
        for username in supervisors:
            if username in users:
                plant.supervisors.add(users[username])
    components = {}
    for sku, name, cost, stock in data.COMPONENTS:
        with transaction.atomic():
            component = components[sku] = _get_or_create(
                tally,
                Product,
                sku=sku,
                defaults={
                    "name": name,
                    "category": categories["components"],
                    "unit_cost": cost,
                    "list_price": cost,
                    "description": "Production component (demo).",
                },
            )
            for plant_code, on_hand in stock.items():
                _seed_stock(
                    tally,
                    product=component,
                    warehouse=plants[plant_code].warehouse,
                    on_hand=on_hand,
                    reorder_point=max(1, on_hand // 5),
                )
    for target, value, component_sku, quantity in data.BOM:
        built = (
            [p for p in products.values() if p.category.code == target[1:]]
            if target.startswith("*")
            else [products[target]]
        )
        for product in built:
            option_value = None
            if value:
                option_code, value_code = value.split("=")
                option_value = ProductOptionValue.objects.filter(
                    option__product=product, option__code=option_code, code=value_code
                ).first()
                if option_value is None:
                    continue
            _get_or_create(
                tally,
                BomLine,
                product=product,
                option_value=option_value,
                component=components[component_sku],
                defaults={"quantity": quantity},
            )
