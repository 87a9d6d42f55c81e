"""Data quality as code: Great Expectations suites built from the raw-table contract.

- `spec`: suites as plain data (`SuiteSpec`, `ExpectationSpec`), no GX import;
- `raw`, `marts`: one module per table family, building the suites;
- `registry`: every suite by name (`raw.<table>`, `ml.churn_scores`, `marts.recall_segments`);
- `runner`: `GxRunner` (its own GX context and results): `validate_table(con, schema, table)`
  -> `SuiteResult`, and `build_data_docs`; `validate_table()` for a one-off;
- `gx_adapter`: the only module that imports GX (lazily); `GxValidator` owns a context.
"""
