"""The marketing report's pages on small warehouses: a shop with no campaign renders an empty
state; figures on the page are the marts' values; no external URL is referenced."""

from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.report import build_report
from orchestration.report.charts import verdict

pytest.importorskip("plotly")


@pytest.fixture
def empty_shop(tmp_path):
    """A warehouse with the churn marts but no recall campaign (no recall tables at all)."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.churn_rates as select date '2025-06-01' as month_start, "
                "'operating_layer' as dimension, 'core' as dimension_value, 10 as active_at_start,"
                " 1 as churned_customers, 0.1 as churn_rate, 0.9 as retention_rate")
    yield con
    con.close()


def test_a_shop_with_no_campaign_renders_the_empty_state(empty_shop, tmp_path):
    result = build_report(empty_shop, tmp_path / "reports")
    index = result.index.read_text()
    assert result.campaigns == [] and result.early_warning_rows == 0
    assert "No recall campaign has been sent yet" in index
    assert index.count('data-empty="true"') >= 3  # headline, calendar, ROI trend
    assert 'id="chart-churn-layer"' in index  # what exists still shows
    warning = (tmp_path / "reports" / "early-warning.html").read_text()
    assert "No customer became at risk" in warning
    assert (tmp_path / "reports" / "plotly.min.js").stat().st_size > 1_000_000


def test_pages_reference_no_external_url(empty_shop, tmp_path):
    result = build_report(empty_shop, tmp_path / "reports")
    for page in result.pages:
        text = page.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), page.name


def _campaign_shop(con) -> None:
    con.execute("create schema marts")
    con.execute("""create table marts.recall_dashboard as select * from (values
        ('w1', 'silent', 'randomized', timestamp '2025-08-01', 'all', 100, 90, 50, 20, 5, 0.9,
         0.5, 0.4, 0.05, 12, 10.0, 250.0, 24.0, 1)) t(campaign_id, wave, design, started_at,
         channel, sent_count, delivered_count, opened_count, clicked_count, redeemed_count,
         delivery_rate, open_rate, click_rate, redemption_rate, converted_count, cost,
         incremental_gmv, roi, wave_order)""")
    con.execute("""create table marts.recall_report_headlines as select * from (values
        ('w1', 6.5, 1.25, 11.75, 250.0, -20.0, 520.0, 10.0, 24.0, -3.0, 51.0, true, true),
        ('all', 6.5, 1.25, 11.75, 250.0, -20.0, 520.0, 10.0, 24.0, -3.0, 51.0, true, true))
        t(campaign_id, won_back_count, won_back_lower, won_back_upper, incremental_gmv,
          incremental_gmv_lower, incremental_gmv_upper, cost, roi, roi_lower, roi_upper,
          is_uplift_estimate, is_window_complete)""")
    con.execute("""create table marts.recall_effect_variants as select * from (values
        ('w1', 'coupon', 60, 40, 0.2, 0.1, -0.02, 0.22, 100.0, 1.5),
        ('w1', 'content', 60, 40, 0.3, 0.2, 0.05, 0.35, 150.0, 2.5))
        t(campaign_id, variant, targeted_count, control_count, conversion_rate,
          conversion_uplift, conversion_uplift_lower, conversion_uplift_upper,
          incremental_gmv, roi)""")


def test_campaign_page_shows_mart_values_and_marks_inconclusive(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    _campaign_shop(con)
    result = build_report(con, tmp_path / "reports")
    con.close()
    assert result.campaigns == ["w1"]
    page = (tmp_path / "reports" / "campaign-w1.html").read_text()
    shown = dict(re.findall(r'data-metric="([^"]+)" data-value="([^"]*)"', page))
    assert float(shown["headline.w1.won_back_count"]) == 6.5
    assert float(shown["headline.w1.roi_upper"]) == 51.0
    assert float(shown["variant.content.conversion_uplift"]) == 0.2
    assert '<td class="inconclusive">inconclusive</td>' in page  # coupon crosses zero
    assert '<td class="win">win</td>' in page
    index = result.index.read_text()
    assert ">6.5<" in index and ">24.00<" in index  # the 'all' tiles
    for section in ("headline", "calendar", "roi-trend", "churn-trend", "cohorts", "glossary"):
        assert f'id="{section}"' in index


@pytest.mark.parametrize(("lower", "upper", "expected"), [
    (0.01, 0.2, "win"), (-0.2, -0.01, "loss"), (-0.01, 0.2, "inconclusive"),
    (None, None, "no control group")])
def test_verdict_needs_the_whole_interval_on_one_side(lower, upper, expected):
    assert verdict(float("nan") if lower is None else lower,
                   float("nan") if upper is None else upper) == expected
