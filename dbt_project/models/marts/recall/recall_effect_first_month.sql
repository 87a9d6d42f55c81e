{#- First-month effect per campaign x layer x churn type x channel x offer x variant x template
    x arm. A control customer carries the variant it would have received, so each variant's
    treatment row is compared with the control customers of the same cell (same layer, churn
    type and variant); recall_effect_variants compares each variant with the campaign's pooled
    control instead. -#}
{{ first_month_effects(ref('int_recall_outcomes'),
                       ['campaign_id', 'layer', 'churn_type', 'channel', 'offer', 'variant',
                        'template']) }}
