{#- DSO by the countback method, the days one month contributes. Walking back from a day's
    receivable through credit sales one calendar month at a time: a month whose sales the
    receivable fully absorbs counts all its days, the month where the receivable runs out counts
    the fraction of its sales still needed, earlier months count nothing; DSO is the sum over the
    months walked. In symbols D_k × clamp((AR − L_k) / S_k, 0, 1).

    Arguments are SQL expressions: `receivable` (AR at the end of the day), `later_sales` (L_k,
    sales of the months already walked, later than this one), `month_sales` (S_k) and
    `month_days` (D_k). A month without sales never divides by zero: the receivable either stops
    before it or covers it whole. -#}
{% macro dso_countback_month_days(receivable, later_sales, month_sales, month_days) -%}
    case
        when {{ receivable }} <= {{ later_sales }} then 0
        when {{ receivable }} >= {{ later_sales }} + {{ month_sales }} then {{ month_days }}
        else ({{ receivable }} - {{ later_sales }}) / {{ month_sales }} * {{ month_days }}
    end
{%- endmacro %}
