from django.contrib import admin
from django.utils.translation import gettext_lazy

from core.admin_mixins import ReadOnlyAdminMixin
from core.models import Sequence

admin.site.site_header = gettext_lazy("OMS order management")
admin.site.site_title = gettext_lazy("OMS admin")
admin.site.index_title = gettext_lazy("Orders, stock, customers and money")


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "value")
    search_fields = ("name",)
