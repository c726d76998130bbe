"""Words and formats: Spanish (Mexico) first, English on request. Numbers, money and dates are
formatted with babel in the page's locale; instants are shown in the books' zone
(America/Mexico_City), to the minute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from babel import Locale

from cartera.dashboard import numbers
from cartera.run_dates import BOOKS_TZ

Lang = Literal["es", "en"]
LOCALES: dict[str, str] = {"es": "es_MX", "en": "en_US"}
Kind = Literal["text", "int", "num", "money", "pct", "rate", "days", "date", "datetime", "bool"]

_WORDS: dict[str, tuple[str, str]] = {
    # navigation and page titles
    "dashboard": ("Tablero de finanzas", "Finance dashboard"),
    "worklist": ("Cartera del cobrador", "Collector worklist"),
    "batches": ("Aprobación de lotes", "Batch approval"),
    "health": ("Salud de datos y modelo", "Data and model health"),
    "customer": ("Cliente", "Customer"),
    "invoice": ("Factura", "Invoice"),
    "signed_in_as": ("Sesión de", "Signed in as"),
    "role_finance": ("finanzas", "finance"),
    "role_collector": ("cobranza", "collector"),
    "role_admin": ("administración", "admin"),
    # filters
    "from": ("Desde", "From"),
    "to": ("Hasta", "To"),
    "currency": ("Moneda", "Currency"),
    "all_mxn": ("Todas (en MXN)", "All (in MXN)"),
    "segment": ("Segmento", "Segment"),
    "country": ("País", "Country"),
    "collector": ("Cobrador", "Collector"),
    "unassigned": ("Sin asignar", "Unassigned"),
    "all": ("Todos", "All"),
    "apply": ("Aplicar", "Apply"),
    "search": ("Buscar", "Search"),
    "search_hint": ("Nombre, RFC o folio de factura", "Name, RFC or invoice folio"),
    "export": ("Exportar a Excel", "Export to Excel"),
    "nothing_yet": ("Sin datos todavía", "Nothing yet"),
    "column_missing": ("(este indicador aún no existe en el almacén)", "(this KPI is not in the warehouse yet)"),
    "not_filtered": (
        "El almacén calcula este indicador solo para toda la cartera: no se muestra filtrado por segmento, "
        "país o cobrador. Quite esos filtros para verlo.",
        "The warehouse computes this only for the whole book: it is not shown filtered by segment, country "
        "or collector. Clear those filters to see it.",
    ),
    "weekly_under_filter": (
        "Con filtro de segmento, país o cobrador: cifras de esos clientes al cierre de cada semana.",
        "With a segment, country or collector filter: those customers' figures at the end of each week.",
    ),
    "own_portfolio": ("Su cartera asignada", "Your assigned portfolio"),
    "no_portfolio": (
        "No tiene clientes asignados: se muestran todos.",
        "No customers are assigned to you: showing everyone's.",
    ),
    "show_all": ("Ver todos los clientes", "Show every customer"),
    "show_mine": ("Ver mi cartera", "Show my portfolio"),
    "assign_collector": ("Asignar cobrador", "Assign a collector"),
    "assign": ("Asignar", "Assign"),
    "unassign": ("Quitar asignación", "Unassign"),
    # KPI tiles
    "total_ar_mxn": ("Cartera total (MXN)", "Total AR (MXN)"),
    "overdue_ar_mxn": ("Cartera vencida (MXN)", "Overdue AR (MXN)"),
    "pct_current": ("% al corriente", "% current"),
    "dso_countback": ("DSO (countback)", "DSO (countback)"),
    "dso_simple": ("DSO simple", "Simple DSO"),
    "simple_dso": ("DSO simple", "Simple DSO"),
    "best_possible_dso": ("Mejor DSO posible", "Best possible DSO"),
    "bpdso": ("Mejor DSO posible", "Best possible DSO"),
    "avg_days_delinquent": ("Días de atraso promedio (DSO − mejor DSO)", "Average days delinquent (DSO − BPDSO)"),
    "avg_days_past_due_overdue": ("Días vencidos promedio (cartera vencida)", "Average days past due (overdue AR)"),
    "fx_revaluation_mxn": ("Revaluación cambiaria (MXN)", "FX revaluation (MXN)"),
    "cei": ("Índice de eficacia de cobranza (CEI)", "Collection effectiveness index (CEI)"),
    "open_invoices": ("Facturas abiertas", "Open invoices"),
    "vs_start": ("vs. inicio del periodo", "vs. start of period"),
    "as_of": ("al", "as of"),
    # charts
    "kpi_trend": ("Tendencia de DSO y días de atraso", "DSO and delinquency trend"),
    "ar_trend": ("Cartera total y vencida", "Total and overdue AR"),
    "aging_history": ("Antigüedad de saldos en el tiempo", "Aging over time"),
    "aging_latest": ("Antigüedad de saldos (último día)", "Aging (latest day)"),
    "outcomes_by_channel": ("Mensajes, bajas y rebotes por canal", "Messages, opt-outs and bounces by channel"),
    "recovery": ("Recuperación y promesas cumplidas", "Recovery and promises kept"),
    "cash_forecast": ("Pronóstico de cobranza a 13 semanas", "13-week cash forecast"),
    "cumulative": ("Acumulado esperado", "Cumulative expected"),
    "cumulative_low": ("Acumulado p10", "Cumulative p10"),
    "cumulative_high": ("Acumulado p90", "Cumulative p90"),
    "model_auc": ("AUC del modelo en el tiempo", "Model AUC over time"),
    "quarantine": ("Filas en cuarentena por día", "Quarantined rows by day"),
    "alerts": ("Alertas abiertas", "Open alerts"),
    "loads": ("Última carga por fuente", "Latest load per source"),
    "confirm": ("Confirmar", "Confirm"),
    "dismiss": ("Descartar", "Dismiss"),
    # workspace
    "priority_formula": (
        "Orden: recuperación esperada = riesgo × monto vencido × (1 + días del más antiguo / 30)",
        "Order: expected recovery = risk × overdue amount × (1 + oldest days past due / 30)",
    ),
    "actions": ("Acciones", "Actions"),
    "log_call": ("Registrar llamada", "Log a call"),
    "outcome": ("Resultado", "Outcome"),
    "promise": ("Promesa de pago", "Promise to pay"),
    "promised_date": ("Fecha prometida", "Promised date"),
    "open_dispute": ("Abrir disputa", "Open a dispute"),
    "close_dispute": ("Cerrar disputa", "Close the dispute"),
    "hold": ("Pausar cobranza", "Hold"),
    "reason": ("Motivo", "Reason"),
    "until": ("Hasta (opcional)", "Until (optional)"),
    "note": ("Nota", "Note"),
    "opt_out": ("Baja de contacto", "Opt-out"),
    "channel": ("Canal", "Channel"),
    "invoice_folio": ("Factura (folio, opcional)", "Invoice (folio, optional)"),
    "save": ("Guardar", "Save"),
    "invoices": ("Facturas", "Invoices"),
    "messages": ("Mensajes", "Messages"),
    "decisions": ("Decisiones de contacto y motivos", "Contact decisions and reasons"),
    "holds": ("Pausas y promesas", "Holds and promises"),
    "activity": ("Bitácora del cobrador", "Collector log"),
    "reasons": ("Por qué", "Why"),
    "no_results": ("Sin resultados", "No results"),
    # batches
    "pending": ("Lotes en espera", "Batches waiting"),
    "recent": ("Decididos recientemente", "Recently decided"),
    "approve": ("Aprobar", "Approve"),
    "reject": ("Rechazar", "Reject"),
    "preview": ("Vista previa", "Preview"),
    "samples": ("Mensajes de muestra", "Sample messages"),
    "by_step": ("Por paso", "By step"),
    "by_channel": ("Por canal", "By channel"),
    "by_segment": ("Por segmento", "By segment"),
    "amount_named": ("Monto mencionado (MXN)", "Amount named (MXN)"),
    "change_vs_previous": ("Cambio vs. lote anterior", "Change vs. previous batch"),
    "why_waiting": ("Por qué espera", "Why it waits"),
    "decided": ("Decidido", "Decided"),
    "done": ("Listo", "Done"),
    "refused": ("No se pudo", "Refused"),
}


def word(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (the key itself when there is none)."""
    pair = _WORDS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def country_label(code: str, lang: str) -> str:
    """``MX · México``: the ISO code and the country's name in the page's language (CLDR)."""
    name = Locale.parse(locale_of(lang)).territories.get(code)
    return f"{code} · {name}" if name else code


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, "es_MX")


def fmt(value: object, kind: str, lang: str, currency: str = "MXN") -> str:
    """A cell as a person reads it: separators, two decimals for money, percentages, dates in the
    books' zone. None is an em dash."""
    if value is None or value == "":
        return "—"
    loc = locale_of(lang)
    # numbers: babel's formats, prepared once per pattern and locale (a page has thousands of cells)
    if kind == "money" and isinstance(value, int | float | Decimal):
        return numbers.number(value, None, loc, currency)
    if kind == "int" and isinstance(value, int | float | Decimal):
        return numbers.number(value, "#,##0", loc)
    if kind in ("num", "days") and isinstance(value, int | float | Decimal):
        return numbers.number(value, "#,##0.##", loc)
    if kind == "pct" and isinstance(value, int | float | Decimal):  # already 0–100
        return numbers.number(value, "#,##0.0", loc) + " %"
    if kind == "rate" and isinstance(value, int | float | Decimal):  # 0–1
        return numbers.number(value, "#,##0.0 %", loc)
    if kind == "bool":
        return ("sí" if value else "no") if lang == "es" else ("yes" if value else "no")
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return numbers.datetime(aware.astimezone(BOOKS_TZ), "yyyy-MM-dd HH:mm", BOOKS_TZ, loc)
    if isinstance(value, dt.date):
        return numbers.date(value, "d MMM yyyy", loc)
    return str(value)
