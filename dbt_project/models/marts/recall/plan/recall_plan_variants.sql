{#- The treatment variants of each planned wave (offer x channel x template) with their
    allocation share and the slice [share_from, share_to) of a customer's hashed draw that
    selects them; channel `preferred` means the layer channel rule (macro recall_channel). -#}
with

variants as (

    {{ plan_variant_rows() }}

)

select * from variants
