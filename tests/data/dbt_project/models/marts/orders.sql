with paid as (
    select order_id, sum(amount) as amount, count(*) as payments
    from {{ ref('stg_payments') }}
    group by order_id
)
select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    o.status,
    coalesce(paid.amount, 0) as amount,
    coalesce(paid.payments, 0) as payments
from {{ ref('stg_orders') }} o
left join paid on paid.order_id = o.order_id
