"""The marketing report: offline HTML pages built from the warehouse's marts.

`build_report` reads the marts (`data.read_report_data`) and writes an overview, one page per
campaign and the early-warning list under CHURN_HOME/reports, with plotly.js written once beside
them. Pages never compute statistics: every figure shown is a column of a mart. No Dagster
import here: the `recall_report` asset and `churn-recall report` both call this.
"""

from orchestration.report.build import REPORTS_DIR, ReportResult, build_report, reports_dir

__all__ = ["REPORTS_DIR", "ReportResult", "build_report", "reports_dir"]
