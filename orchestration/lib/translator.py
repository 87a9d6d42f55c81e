"""How dbt nodes appear in Dagster: groups from dbt folders, owners, kinds, source mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

RECALL_FOLDER = "recall"


def _group(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "source":
        return "raw"
    return "recall" if RECALL_FOLDER in props.get("fqn", []) else "dbt"


class ChurnDbtTranslator(DagsterDbtTranslator):
    """Models are keyed by name (what users search for); groups `dbt` and `recall` come from the
    model's folder; sources keep raw/<table> so they land on the raw assets."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=False))

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        return spec.replace_attributes(key=dg.AssetKey(props["name"]), group_name=_group(props),
                                       owners=["team:data-platform"]).merge_attributes(
            kinds={"duckdb"})
