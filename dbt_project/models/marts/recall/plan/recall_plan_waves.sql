{#- The waves of the campaign plan (var recall_plan, from CHURN_HOME/plan.yml), one row each,
    with the churn types they target as one row per wave x type in recall_plan_wave_types. -#}
with

waves as (

    {{ plan_wave_rows() }}

)

select * from waves
