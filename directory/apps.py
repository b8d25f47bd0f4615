from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from directory.models import FellowshipTranslation, forget_fellowship_translations

        # A staff edit of a fellowship's Spanish shows on the next page this process serves.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_fellowship_translations,
                sender=FellowshipTranslation,
                dispatch_uid=f"forget-fellowship-translations-{signal is post_save}",
            )
