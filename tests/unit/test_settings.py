import json
import re

import pytest
import yaml

from orchestration.environment import DBT_PROJECT_DIR
from orchestration.settings import Settings, SettingsError, load_settings, parse_overrides


def test_defaults_follow_domain_md():
    s = Settings()
    assert (s.warning_days, s.churn_days, s.churn_window_days) == (3, 30, 30)
    assert s.complaint_threshold == 2
    assert s.holdout_share == 0.10
    assert (s.first_month_days, s.effect_months) == (30, 6)


def test_service_signal_thresholds_are_settings():
    s = Settings()
    assert (s.service_incident_threshold, s.churn_signal_lookback_days) == (2, 90)
    assert s.slow_response_minutes == 240.0


def test_dbt_project_vars_mirror_settings():
    declared = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    expected = Settings().dbt_vars()
    assert {k: declared.get(k) for k in expected} == expected


def _sql_files():
    return sorted([*DBT_PROJECT_DIR.glob("models/**/*.sql"),
                   *DBT_PROJECT_DIR.glob("macros/**/*.sql")])


def test_models_read_vars_without_inline_defaults():
    """One default per threshold: settings.py, mirrored in dbt_project.yml, never in the SQL."""
    inline = re.compile(r"""var\(\s*['"]([a-z0-9_]+)['"]\s*,""")
    found = [f"{path.relative_to(DBT_PROJECT_DIR)}: var('{name}', ...)"
             for path in _sql_files() for name in inline.findall(path.read_text())]
    assert not found, "inline var defaults (declare them in Settings and dbt_project.yml):\n" + \
        "\n".join(found)


def test_every_var_the_models_read_is_declared():
    declared = set(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    literal = re.compile(r"""var\(\s*['"]([a-z0-9_]+)['"]\s*\)""")
    used = {name for path in _sql_files() for name in literal.findall(path.read_text())}
    assert used, "no var found: the pattern is stale"
    assert used <= declared, f"vars read but not declared in dbt_project.yml: {used - declared}"


def test_settings_file_then_cli_overrides(tmp_path):
    (tmp_path / "settings.toml").write_text("warning_days = 5\nholdout_share = 0.2\n")
    s = load_settings(tmp_path, parse_overrides(["holdout_share=0.25"]))
    assert s.warning_days == 5
    assert s.holdout_share == 0.25
    assert s.dbt_vars()["holdout_share"] == 0.25


@pytest.mark.parametrize("pair, message", [
    ("holdout_share=0.7", "holdout_share=0.7 must be in (0, 0.5]"),
    ("holdout_share=0", "holdout_share=0.0 must be in (0, 0.5]"),
    ("churn_window_days=-3", "churn_window_days=-3 must not be negative"),
    ("high_value_gmv_percentile=120", "high_value_gmv_percentile=120.0 must be in [0, 100]"),
    ("warning_days=abc", "cannot read 'abc' as int"),
    ("no_such_setting=1", "unknown setting(s): no_such_setting"),
    ("campaign_id=x'; drop table raw.orders; --", "campaign_id="),
    ("slow_response_minutes=0", "slow_response_minutes=0.0 must be positive"),
    ("churn_signal_lookback_days=0", "churn_signal_lookback_days=0 must be at least 1"),
    ("service_incident_threshold=0", "service_incident_threshold=0 must be at least 1"),
])
def test_bad_settings_are_refused_with_their_name(tmp_path, pair, message):
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path, parse_overrides([pair]))
    assert message in str(err.value)


def test_bad_settings_file_names_the_file(tmp_path):
    (tmp_path / "settings.toml").write_text("warning_days = [\n")
    with pytest.raises(SettingsError, match="settings.toml: not valid TOML"):
        load_settings(tmp_path)


def test_z_values_follow_alpha_and_power():
    v = Settings(alpha=0.05, power=0.8).dbt_vars()
    assert v["z_alpha"] == pytest.approx(1.959964, abs=1e-6)
    assert v["z_power"] == pytest.approx(0.841621, abs=1e-6)


def test_contact_cost_defaults_come_from_the_contract():
    from sources.contract import CHANNELS, CONTACT_COSTS

    assert Settings().channel_costs() == CONTACT_COSTS
    assert set(CONTACT_COSTS) == set(CHANNELS)


def test_the_channel_rule_reaches_dbt_from_the_contract():
    from sources.contract import CHANNELS, LAYER_CHANNELS, LAYERS

    assert set(LAYER_CHANNELS) == set(LAYERS)
    assert all(ch and set(ch) <= set(CHANNELS) for ch in LAYER_CHANNELS.values())
    passed = json.loads(Settings().dbt_vars_json())["layer_channels"]
    assert {k: tuple(v) for k, v in passed.items()} == LAYER_CHANNELS
