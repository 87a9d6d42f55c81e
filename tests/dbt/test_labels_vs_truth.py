"""customer_snapshots against the simulator's planted truth (schema `truth`, never read by dbt).

The simulator's day loop: an interaction is a day with a visit (every order and event comes from
a visit); a customer whose last interaction (or sign-up) is day L and who has no interaction on
L+1 .. L+D (D = churn_days = 30) is churned on day L+D with `truth.churn_spells.churn_date` = L+1;
a churned customer interacts again only by coming back (`truth.returns`, a forced visit that
day). `truth.snapshot_probabilities` holds one row per customer not churned at the start of the
snapshot day s (signed up before s and L >= s - D).

So, for a snapshot s with a label window of W = D days, the label is derived exactly:

* population: alive at s  <=>  signed up before s and L_s >= s - D  <=>  a truth row at s;
* label 1 (no interaction on s .. s+W-1)  =>  no interaction on L_s+1 .. L_s+D (as L_s+D <= s+W-1)
  =>  a churn spell with churn_date c = L_s + 1, i.e. c in [s - D + 1, s], and no return on
  c .. s+W-1 (a return is an interaction);
* conversely, a spell with c in [s - D + 1, s] for a customer alive at s means no interaction on
  c .. s-1 and none on s .. c+D-1; with no return on c .. s+W-1 there is none up to s+W-1 either.

Hence label = 1  <=>  a churn spell starts in [s - D + 1, s] and the customer does not come back
before s + W. The checks below are exact (the dbt definitions and the simulator's agree day for
day); a failure names how many rows disagree and shows some.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.settings import Settings
from sources.simulator import config as sim_config
from tests.dbt.conftest import query

SETTINGS = Settings()


@pytest.fixture(scope="module", autouse=True)
def _windows_match_the_simulator():
    """The derivation needs label window = churn days = the simulator's churn days."""
    windows = (SETTINGS.churn_window_days, SETTINGS.churn_days, sim_config.CHURN_DAYS)
    assert len(set(windows)) == 1, (
        f"churn_window_days, churn_days and the simulator's CHURN_DAYS differ: {windows}; "
        "the exact label equivalence in this module assumes they are equal")


def _show(frame, limit: int = 10) -> str:
    return "(none)" if frame.empty else frame.head(limit).to_string(index=False)


def test_snapshot_population_is_the_simulators_alive_customers(built_warehouse):
    """Same (customer, snapshot) pairs as truth.snapshot_probabilities, on the shared dates."""
    pairs = query(built_warehouse, """
        with dbt as (
            select customer_id, snapshot_date from marts.customer_snapshots
            where snapshot_date in (select snapshot_date from truth.snapshot_probabilities)
        ),
        truth as (
            select customer_id, snapshot_date from truth.snapshot_probabilities
            where snapshot_date in (select snapshot_date from marts.customer_snapshots)
        )
        select
            coalesce(dbt.customer_id, truth.customer_id) as customer_id,
            coalesce(dbt.snapshot_date, truth.snapshot_date) as snapshot_date,
            dbt.customer_id is not null as in_dbt,
            truth.customer_id is not null as in_truth
        from dbt
        full outer join truth
            on dbt.customer_id = truth.customer_id and dbt.snapshot_date = truth.snapshot_date
        order by snapshot_date, customer_id
    """)
    dates = pairs.snapshot_date.nunique()
    assert dates >= 4, f"only {dates} snapshot dates shared by dbt and the simulator"
    assert len(pairs) > 500, f"too few snapshot rows to compare ({len(pairs)})"

    both = (pairs.in_dbt & pairs.in_truth).sum()
    overlap = both / len(pairs)
    only_dbt = pairs[~pairs.in_truth]
    only_truth = pairs[~pairs.in_dbt]
    assert overlap >= 0.99 and only_dbt.empty and only_truth.empty, (
        f"snapshot population differs from the simulator's alive customers: overlap "
        f"{overlap:.4%} of {len(pairs)} pairs over {dates} dates; {len(only_dbt)} rows only in "
        f"customer_snapshots (simulator: already churned), e.g.\n{_show(only_dbt)}\n"
        f"{len(only_truth)} alive in the simulator but missing from customer_snapshots, e.g.\n"
        f"{_show(only_truth)}")


def _labels_vs_truth(path):
    d, w = SETTINGS.churn_days, SETTINGS.churn_window_days
    return query(path, f"""
        with snapshots as (
            select customer_id, snapshot_date, days_since_last_interaction, is_churned_label
            from marts.customer_snapshots
            where is_churned_label is not null
        ),
        spells as (
            select snapshots.customer_id, snapshots.snapshot_date,
                   min(spells.churn_date) as churn_date, count(*) as spell_count
            from snapshots
            inner join truth.churn_spells as spells
                on spells.customer_id = snapshots.customer_id
                and spells.churn_date between snapshots.snapshot_date - {d - 1}
                                          and snapshots.snapshot_date
            group by all
        ),
        comebacks as (
            select spells.customer_id, spells.snapshot_date, min(r.returned_on) as returned_on
            from spells
            inner join truth.returns as r
                on r.customer_id = spells.customer_id
                and r.returned_on >= spells.churn_date
                and r.returned_on < spells.snapshot_date + {w}
            group by all
        )
        select
            snapshots.*,
            spells.churn_date,
            coalesce(spells.spell_count, 0) as spell_count,
            comebacks.returned_on,
            case when spells.churn_date is not null and comebacks.returned_on is null
                 then 1 else 0 end as truth_label
        from snapshots
        left join spells using (customer_id, snapshot_date)
        left join comebacks using (customer_id, snapshot_date)
        order by snapshot_date, customer_id
    """)


@pytest.fixture(scope="module")
def labels(built_warehouse):
    frame = _labels_vs_truth(built_warehouse)
    assert len(frame) > 500, f"too few labelled snapshot rows to compare ({len(frame)})"
    assert frame.snapshot_date.nunique() >= 4
    return frame


def test_churn_label_matches_planted_churn_spells(labels):
    """label 1 <=> a churn spell starts in [s - D + 1, s] with no come-back before s + W."""
    assert set(labels.is_churned_label) == {0, 1}, "labels are all one value: vacuous check"
    assert labels.truth_label.sum() >= 20, "too few churners in the simulated shop to compare"
    wrong = labels[labels.is_churned_label != labels.truth_label]
    agreement = 1 - len(wrong) / len(labels)
    false_churn = wrong[wrong.is_churned_label == 1]
    missed = wrong[wrong.is_churned_label == 0]
    assert wrong.empty, (
        f"is_churned_label agrees with the planted churn spells on {agreement:.4%} of "
        f"{len(labels)} labelled rows; {len(false_churn)} labelled churned without a spell in "
        f"[s-{SETTINGS.churn_days - 1}, s] (or with a come-back before s+"
        f"{SETTINGS.churn_window_days}), e.g.\n{_show(false_churn)}\n{len(missed)} labelled "
        f"retained although the simulator churned them and they did not come back, e.g.\n"
        f"{_show(missed)}")


def test_churned_label_spell_starts_the_day_after_the_last_interaction(labels):
    """The spell behind a label 1 is the one after the last interaction before the snapshot."""
    churned = labels[labels.is_churned_label == 1].copy()
    assert len(churned) >= 20
    expected = churned.snapshot_date - pd.to_timedelta(
        churned.days_since_last_interaction.astype("int64") - 1, unit="D")
    off = churned[churned.churn_date != expected]
    assert off.empty, (
        f"{len(off)} of {len(churned)} churned labels: the planted churn_date is not snapshot_date "
        f"- days_since_last_interaction + 1 (recency and truth disagree), e.g.\n{_show(off)}")
    assert (churned.spell_count == 1).all(), "two churn spells within one churn window"


def test_retained_with_a_spell_only_when_they_came_back(labels):
    """Label 0 despite a spell in the window happens only through a planted come-back."""
    retained_with_spell = labels[(labels.is_churned_label == 0) & labels.churn_date.notna()]
    unexplained = retained_with_spell[retained_with_spell.returned_on.isna()]
    assert unexplained.empty, (
        f"{len(unexplained)} rows labelled 0 although the simulator churned the customer and "
        f"records no come-back before the window ends, e.g.\n{_show(unexplained)}")
