{#- Customers already lapsed at each snapshot (last sign of life more than churn_days before
    it), with the same point-in-time features; the label is 1 when they did not come back within
    the window, so 1 - the model's probability is their chance of returning. See
    macros/customer_snapshot_rows.sql. -#}
{{ customer_snapshot_rows('lapsed') }}
