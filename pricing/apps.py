from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = _("Pricing")

    def ready(self):
        from pricing import checks  # noqa: F401, PLC0415 (registers the settings checks)

        # Models and selectors load only once the app registry is ready.
        from pricing.models import ShippingRate, TierDiscount  # noqa: PLC0415
        from pricing.selectors import pricing_reference_changed  # noqa: PLC0415

        # The pricing reference cache follows every save and delete of its tables (pricing.selectors).
        for model in (TierDiscount, ShippingRate):
            post_save.connect(
                pricing_reference_changed, sender=model, dispatch_uid=f"pricing-ref-{model.__name__}"
            )
            post_delete.connect(
                pricing_reference_changed, sender=model, dispatch_uid=f"pricing-ref-del-{model.__name__}"
            )
