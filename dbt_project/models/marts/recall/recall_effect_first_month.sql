{#- First-month effect per campaign x layer x churn type x channel x offer x arm. -#}
{{ first_month_effects(ref('int_recall_outcomes'),
                       ['campaign_id', 'layer', 'churn_type', 'channel', 'offer']) }}
