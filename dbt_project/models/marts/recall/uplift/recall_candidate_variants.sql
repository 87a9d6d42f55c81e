{#- Every recall candidate x every treatment variant a past campaign sent: how the variant would
    reach the candidate and what the contact costs - the cost side of recall_targeting's
    expected profit, and the offer, channel and template recall_segments sends when the
    candidate gets the variant.
    A variant's channel rule: the campaign plan's (recall_plan_variants; `preferred` = the layer
    channel rule, macro recall_channel) when a planned wave defines it, else the one channel its
    treatment customers got, or `preferred` when they got several; macros variant_channel and
    variant_offer_category resolve it for the candidate, as recall_segments does for a plan's
    wave. -#}
with

candidates as (

    select * from {{ ref('recall_candidates') }}

),

planned_variants as (

    select * from {{ ref('recall_plan_variants') }}

),

sent as (

    select * from {{ ref('stg_recall_assignments') }}
    where arm = 'treatment'
        and variant is not null

),

sent_variants as (

    select
        variant,
        min(offer) as offer,
        min(template) as template,
        case when count(distinct channel) > 1 then 'preferred' else min(channel) end
            as channel_rule

    from sent
    group by variant

),

planned_rules as (

    select
        variant,
        min(offer) as offer,
        min(template) as template,
        min(channel) as channel_rule

    from planned_variants
    group by variant

),

variants as (

    select
        sent_variants.variant,
        coalesce(planned_rules.offer, sent_variants.offer) as offer,
        coalesce(planned_rules.template, sent_variants.template) as template,
        coalesce(planned_rules.channel_rule, sent_variants.channel_rule) as channel_rule

    from sent_variants
    left join planned_rules
        on sent_variants.variant = planned_rules.variant

),

reached as (

    select
        candidates.customer_id,
        variants.variant,
        variants.offer,
        {{ variant_offer_category('variants.offer', 'candidates.top_category') }}
            as offer_category,
        {{ variant_channel('variants.channel_rule',
                           recall_layer('candidates.is_high_value', 'candidates.is_frequent_buyer'),
                           'candidates.preferred_channel') }} as channel,
        variants.template

    from candidates
    cross join variants

),

final as (

    select
        reached.*,
        {{ channel_cost('reached.channel') }} as contact_cost

    from reached

)

select * from final
