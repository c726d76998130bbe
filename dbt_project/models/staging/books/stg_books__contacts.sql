with source as (
    {{ latest_version(source('books', 'contacts'), ['contact_id']) }}
),

final as (
    select
        contact_id,
        source,
        customer_id,
        contact_name,
        email,
        mobile,
        whatsapp_opt_in,
        email_opt_out,
        sms_opt_out,
        preferred_language,
        preferred_channel,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
