{#- First-month effect per campaign x pyramid layer x arm: the grain at which waves are powered. -#}
{{ first_month_effects(ref('int_recall_outcomes'), ['campaign_id', 'layer']) }}
