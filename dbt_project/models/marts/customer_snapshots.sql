{#- Customers active at each snapshot (last sign of life at most churn_days before it), with
    point-in-time features and the churn label; see macros/customer_snapshot_rows.sql. -#}
{{ customer_snapshot_rows('active') }}
