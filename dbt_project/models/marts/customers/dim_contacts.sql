with contacts as (
    select * from {{ ref('stg_books__contacts') }}
),

customers as (
    select * from {{ ref('stg_books__customers') }}
),

-- raw has no primary flag: the primary contact is the customer's first one (lowest contact id,
-- compared numerically when ids are numeric).
ranked_contacts as (
    select
        contacts.*,
        row_number() over (
            partition by contacts.customer_id
            order by length(contacts.contact_id), contacts.contact_id
        ) as contact_rank
    from contacts
    inner join customers
        on contacts.customer_id = customers.customer_id
),

final as (
    select
        customer_id,
        contact_name,
        email,
        mobile,
        coalesce(whatsapp_opt_in, false) as whatsapp_opt_in,
        coalesce(email_opt_out, false) as email_opt_out,
        coalesce(sms_opt_out, false) as sms_opt_out,
        -- BCP 47 tags; anything not English is treated as Mexican Spanish
        case when lower(preferred_language) like 'en%' then 'en-US' else 'es-MX' end as preferred_language,
        preferred_channel
    from ranked_contacts
    where contact_rank = 1
)

select * from final
