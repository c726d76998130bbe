with customers as (
    select * from {{ ref('stg_books__customers') }}
),

state_timezones as (
    select * from {{ ref('mx_state_timezones') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

first_invoices as (
    select
        customer_id,
        min(issue_date) as first_invoice_date
    from invoices
    group by customer_id
),

-- Sources send either the ISO 3166-2:MX code (ROO, BCN) or the common abbreviation (QR, BC).
customer_states as (
    select
        customers.customer_id,
        coalesce(iso_codes.state_code, abbreviations.state_code, customers.state_code) as state_code,
        coalesce(iso_codes.timezone, abbreviations.timezone) as timezone
    from customers
    left join state_timezones as iso_codes
        on customers.state_code = iso_codes.state_code
    left join state_timezones as abbreviations
        on customers.state_code = abbreviations.state_abbreviation
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.rfc,
        coalesce(customers.country_code, 'MX') as country_code,
        customer_states.state_code,
        customer_states.timezone,
        customers.industry,
        customers.credit_terms_days,
        first_invoices.first_invoice_date
    from customers
    inner join customer_states
        on customers.customer_id = customer_states.customer_id
    left join first_invoices
        on customers.customer_id = first_invoices.customer_id
)

select * from final
