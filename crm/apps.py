from django.apps import AppConfig
from django.apps import apps as global_apps
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def sync_roles_after_migrate(sender, *, app_config, using, verbosity=1, plan=None, **kwargs) -> None:
    """Apply crm.roles once per migrate (or flush), after the last app's post_migrate.

    post_migrate is sent once per app with models, in INSTALLED_APPS order, and auth creates each
    app's permissions in its own receiver; only at the last app do all permissions exist.
    After migrating backwards the schema is older than crm.roles, which may name permissions it
    lacks: the groups are then left as they are until a forward migrate (or sync_roles) runs.
    """
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if app_config is not with_models[-1]:
        return
    if any(backwards for _migration, backwards in plan or ()):
        if verbosity >= 1:
            print(gettext("Roles not synced after migrating backwards; run sync_roles if needed."))
        return
    call_command("sync_roles", database=using, verbosity=verbosity)


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self):
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="crm.sync_roles_after_migrate")
