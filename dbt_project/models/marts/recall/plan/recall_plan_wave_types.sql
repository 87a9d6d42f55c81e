{#- The churn types each planned wave targets: one row per wave x churn type. -#}
with

wave_types as (

    {{ plan_wave_type_rows() }}

)

select * from wave_types
