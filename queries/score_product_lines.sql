-- The product lines the deals carry, as written, with how many deals carry each (most first): what
-- the rubric's strategic and bundle product lines must match, and what the Methodology page offers.
with
final as (
    select trim(product_line) as product_line, count(*) as deals
    from opportunities
    where nullif(trim(product_line), '') is not null
    group by trim(product_line)
)
select * from final order by deals desc, product_line
