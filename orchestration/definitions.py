"""The Dagster code location: everything under `orchestration/defs`, loaded by folder."""

import dagster as dg

import orchestration.defs as defs_root

defs = dg.load_defs(defs_root=defs_root)
