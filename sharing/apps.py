from django.apps import AppConfig
from django.db.models.signals import post_delete


def forget_deleted_token(sender, instance, **kwargs) -> None:
    """A deleted link (or one of a deleted site) is never served from its cached copy."""
    from sharing import token_copies

    token_copies.forget([instance])


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Sharing"

    def ready(self) -> None:
        """Every per-process structure of share links, reset by `analytics.process_state.reset_process_state`."""
        from analytics.process_state import register_reset
        from sharing import token_copies
        from sharing.embed_script import embed_script
        from sharing.local_uses import local_uses
        from sharing.models import ShareToken
        from sharing.stats_cache import forget_local_copies
        from sharing.token_lookup import compiled_lookup

        register_reset("share-link stats copies", forget_local_copies)
        register_reset("share-link uses noted in this process", local_uses.forget)
        register_reset("compiled share-token lookup", compiled_lookup.cache_clear)
        register_reset("embed host script bytes", embed_script.script_bytes.cache_clear)
        register_reset("share-link copies written by this process", token_copies.forget_local_marks)
        post_delete.connect(forget_deleted_token, sender=ShareToken, dispatch_uid="forget-deleted-share-token")
