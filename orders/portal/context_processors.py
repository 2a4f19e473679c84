"""Which portal sections the signed-in user has, for the navigation on every page.

Lazy, and it reuses the roles a view has already worked out for the request (orders.portal.access
caches them on the user), so a page that shows the nav costs no extra query for it.
"""

from django.utils.functional import SimpleLazyObject

from orders.portal import access


def portal_roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "portal_roles": SimpleLazyObject(
            lambda: {"rep": access.is_sales_rep(user), "dealer": access.is_dealer(user)}
        )
    }
