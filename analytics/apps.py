from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        """Deleting a site waits for its writers; every per-process structure of collecting is registered for
        `analytics.process_state.reset_process_state`."""
        from django.db.models.signals import pre_delete

        from analytics.cache_counters import forget_local_counts
        from analytics.counting.counters import lock_deleted_site
        from analytics.drop_counts import forget_dropped_events
        from analytics.event_limits import forget_over_rate
        from analytics.event_queue import queue_connection
        from analytics.event_spool import event_spool
        from analytics.known_sites import forget_sites
        from analytics.process_state import register_reset
        from analytics.queue_journal import queue_journal
        from analytics.salts import forget_held_salts
        from analytics.script import tracking_script

        pre_delete.connect(lock_deleted_site, sender="analytics.Site", dispatch_uid="analytics.lock_deleted_site")
        register_reset("sites by domain", forget_sites)
        register_reset("rate-limit windows counted in this process", forget_local_counts)
        register_reset("clients this process told they are over their event rate", forget_over_rate)
        register_reset("dropped events not yet written", forget_dropped_events)
        register_reset("salts held in this process", forget_held_salts)
        register_reset("event queue pause after a failure", queue_connection.forget)
        register_reset("this process's event spool file", event_spool.close)
        register_reset("events this process queued lately", queue_journal.forget)
        register_reset("tracking script bytes", tracking_script.script_bytes.cache_clear)
