"""Partitions: recall campaigns (dynamic, a key per campaign) for the effect reports, and
labelled monthly snapshot dates (dynamic, a key per snapshot whose label window has elapsed)
for the champion's back-test. The keys come from the metadata of the latest `recall_effect_plots`
(`campaign_ids`) and `churn_model` (`labelled_snapshot_dates`) materializations, so registering
them never opens the warehouse; `churn-recall materialize` and `partitions_sensor` add them."""

import dagster as dg

CAMPAIGNS = dg.DynamicPartitionsDefinition(name="campaign")
SNAPSHOT_DATES = dg.DynamicPartitionsDefinition(name="snapshot_date")

# partitions definition -> (asset whose latest materialization lists the keys, metadata key)
KEY_SOURCES = {CAMPAIGNS.name: ("recall_effect_plots", "campaign_ids"),
               SNAPSHOT_DATES.name: ("churn_model", "labelled_snapshot_dates")}


def partition_keys(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """The keys listed by the latest materialization of each source asset (none if never run)."""
    keys = {}
    for name, (asset, field) in KEY_SOURCES.items():
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
        meta = event.asset_materialization.metadata if event and event.asset_materialization \
            else {}
        keys[name] = [str(k) for k in meta[field].value] if field in meta else []
    return keys


def new_partition_keys(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Listed keys not registered yet, per partitions definition."""
    return {name: [k for k in wanted if not instance.has_dynamic_partition(name, k)]
            for name, wanted in partition_keys(instance).items()}


def register_partition_keys(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Add the new keys; returns them."""
    new = new_partition_keys(instance)
    for name, added in new.items():
        if added:
            instance.add_dynamic_partitions(name, added)
    return new
