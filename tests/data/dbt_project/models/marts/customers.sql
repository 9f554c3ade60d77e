with spend as (
    select o.customer_id, count(distinct o.order_id) as orders, sum(p.amount) as lifetime_value,
           min(o.ordered_at) as first_order_at, max(o.ordered_at) as last_order_at
    from {{ ref('stg_orders') }} o
    join {{ ref('stg_payments') }} p on p.order_id = o.order_id
    group by o.customer_id
)
select
    c.customer_id,
    c.first_name,
    c.last_name,
    spend.first_order_at,
    spend.last_order_at,
    coalesce(spend.orders, 0) as orders,
    coalesce(spend.lifetime_value, 0) as lifetime_value
from {{ ref('stg_customers') }} c
left join spend on spend.customer_id = c.customer_id
