"""HTML of the report's pages: the overview, a campaign page, the early-warning list.

Every number is a mart column, formatted; `data-metric` / `data-value` attributes carry the raw
value beside the text so a test can compare what is shown with the warehouse."""

from __future__ import annotations

import html
import math

import pandas as pd

from orchestration.report import charts
from orchestration.report.glossary import GLOSSARY

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
 background:#fafafa;line-height:1.45}
header{background:#16324f;color:#fff;padding:12px 24px}
header a{color:#cfe3ff;margin-right:14px}
header h1{font-size:1.4rem;margin:4px 0}
main{max-width:1280px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:12px 18px;
 margin:16px 0}
h2{font-size:1.15rem;margin:4px 0 8px}
.tiles{display:flex;flex-wrap:wrap;gap:12px}
.tile{flex:1 1 220px;border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;
 background:#f5f9fd}
.tile .label{font-size:.85rem;color:#555}.tile .value{font-size:1.6rem;font-weight:600}
.tile .interval{font-size:.85rem;color:#555}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left}
th{background:#f0f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.win{color:#1a7f2e;font-weight:600}.loss{color:#b42318;font-weight:600}
.inconclusive{color:#666}.empty-state{padding:14px;background:#fff8e1;border:1px solid #f0d98c;
 border-radius:6px}
.note{color:#555;font-size:.88rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
dl.glossary dt{font-weight:600;margin-top:6px}dl.glossary dd{margin-left:16px}
th.sortable{cursor:pointer}
@media print{header a,.no-print,.modebar-container{display:none!important}
 body{background:#fff}section{break-inside:avoid;border:none;padding:0}
 .charts{display:block}}
"""

SORT_FILTER_JS = """
(function(){
 const table=document.getElementById('early-warning-table'); if(!table) return;
 const body=table.tBodies[0]; const search=document.getElementById('ew-search');
 const stage=document.getElementById('ew-stage'); const count=document.getElementById('ew-count');
 function apply(){const q=search.value.toLowerCase(); const s=stage.value; let n=0;
  for(const row of body.rows){const ok=(!q||row.textContent.toLowerCase().includes(q))&&
   (!s||row.dataset.stage===s); row.style.display=ok?'':'none'; if(ok) n++;}
  count.textContent=n;}
 search.addEventListener('input',apply); stage.addEventListener('change',apply);
 table.querySelectorAll('th.sortable').forEach(function(th,i){
  th.addEventListener('click',function(){const asc=th.dataset.dir!=='asc'; th.dataset.dir=asc?'asc':'desc';
   const rows=[...body.rows]; rows.sort(function(a,b){
    const x=a.cells[i].dataset.sort, y=b.cells[i].dataset.sort; const nx=parseFloat(x), ny=parseFloat(y);
    const c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y); return asc?c:-c;});
   rows.forEach(function(r){body.appendChild(r);});});});
 apply();
})();
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA \
        or value is pd.NaT


def fmt(value, kind: str = "number") -> str:
    """Format one mart value: number (1,234.5), int, money (1,234.56), ratio (2.35),
    pct (12.3%), points (+1.2 pts), date."""
    if missing(value):
        return "n/a"
    if kind == "int":
        return f"{int(round(float(value))):,}"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "pct":
        return f"{float(value):.1%}"
    if kind == "points":
        return f"{float(value) * 100:+.1f} pts"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return f"{float(value):,.1f}"


def metric(name: str, value, kind: str = "number", tag: str = "span") -> str:
    raw = "" if missing(value) else esc(value)
    return f'<{tag} data-metric="{esc(name)}" data-value="{raw}">{esc(fmt(value, kind))}</{tag}>'


def page(title: str, body: str, nav: list[tuple[str, str]], generated: str) -> str:
    links = "".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in nav)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script src="plotly.min.js"></script>
</head><body>
<header><nav>{links}</nav><h1>{esc(title)}</h1>
<div class="note" style="color:#cfe3ff">Generated {esc(generated)} from the warehouse's marts.
</div></header>
<main>
{body}
</main></body></html>
"""


def section(sid: str, title: str, content: str) -> str:
    return f'<section id="{esc(sid)}" data-section="{esc(sid)}"><h2>{esc(title)}</h2>\n{content}\n</section>'


def empty(message: str) -> str:
    return f'<div class="empty-state" data-empty="true">{esc(message)}</div>'


def table(frame: pd.DataFrame, columns: list[tuple[str, str, str]], table_id: str = "",
          metric_prefix: str = "", key: str | None = None) -> str:
    """A table of `frame`: (column, header, format) per column."""
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col, _, kind in columns:
            value = row.get(col)
            cls = ' class="num"' if kind not in ("text", "date", "verdict") else ""
            if kind == "text":
                cells.append(f"<td>{esc('' if missing(value) else value)}</td>")
            elif kind == "verdict":
                cells.append(f'<td class="{esc(value)}">{esc(value)}</td>')
            elif metric_prefix and key:
                cells.append(f"<td{cls}>{metric(f'{metric_prefix}.{row[key]}.{col}', value, kind)}"
                             "</td>")
            else:
                cells.append(f"<td{cls}>{esc(fmt(value, kind))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def tiles(row: pd.Series, prefix: str) -> str:
    def tile(label, col, lower, upper, kind, note):
        return (f'<div class="tile"><div class="label">{esc(label)}</div>'
                f'<div class="value">{metric(f"{prefix}.{col}", row[col], kind)}</div>'
                f'<div class="interval">interval {metric(f"{prefix}.{lower}", row[lower], kind)}'
                f' to {metric(f"{prefix}.{upper}", row[upper], kind)}</div>'
                f'<div class="note">{esc(note)}</div></div>')

    return ('<div class="tiles">'
            + tile("Customers won back beyond control", "won_back_count", "won_back_lower",
                   "won_back_upper", "number",
                   "treated customers who ordered in the first month, beyond the control rate")
            + tile("Incremental GMV", "incremental_gmv", "incremental_gmv_lower",
                   "incremental_gmv_upper", "money", "first-month GMV beyond the control group's")
            + tile("ROI", "roi", "roi_lower", "roi_upper", "ratio",
                   "(incremental GMV x margin - cost) / cost")
            + "</div>")


def glossary_section() -> str:
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in GLOSSARY)
    return section("glossary", "Glossary", f'<dl class="glossary">{items}</dl>')


def with_verdicts(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["verdict"] = [charts.verdict(lo, hi) for lo, hi in
                      zip(out["conversion_uplift_lower"], out["conversion_uplift_upper"])]
    return out


UPLIFT_COLUMNS = [("targeted_count", "treated", "int"), ("control_count", "control", "int"),
                  ("conversion_rate", "conversion", "pct"),
                  ("conversion_uplift", "uplift", "points"),
                  ("conversion_uplift_lower", "interval from", "points"),
                  ("conversion_uplift_upper", "to", "points"),
                  ("verdict", "result", "verdict"),
                  ("incremental_gmv", "incremental GMV", "money"), ("roi", "ROI", "ratio")]
