-- ml: the late-payment model and what it says about the open book (owned by `ml/`).
-- Idempotent: applied on every `init_warehouse`.
create schema if not exists ml;

-- One row per trained model. Retraining for the same as_of_date replaces that row (model_id is
-- derived from the date). At most one champion, which scoring uses.
create table if not exists ml.models (
    model_id text primary key,
    trained_at timestamptz not null,
    as_of_date date not null unique,
    cutoff_date date not null,
    feature_names jsonb not null,
    params jsonb not null,
    -- {auc_test, auc_baseline_prior_late_rate, n_train, n_test, positive_rate, ...}
    metrics jsonb not null,
    -- XGBoost's own JSON serialisation (booster.save_raw('json')), loadable by any xgboost >= 2.
    booster bytea not null,
    -- The expected-payment-date rule and its parameters (see ml/payment_date.py).
    payment_date_rule jsonb not null default '{}'::jsonb,
    is_champion boolean not null default false
);
create unique index if not exists models_one_champion on ml.models (is_champion) where is_champion;

-- One row per invoice open on score_date. Rewritten as a whole for a score_date.
create table if not exists ml.invoice_scores (
    score_date date not null,
    invoice_id text not null,
    customer_id text not null,
    model_id text not null,
    p_late double precision not null check (p_late between 0 and 1),
    expected_payment_date date not null,
    -- [{feature, contribution, es, en}], at most three, strongest first.
    reasons jsonb not null default '[]'::jsonb,
    primary key (score_date, invoice_id)
);
create index if not exists invoice_scores_customer on ml.invoice_scores (score_date, customer_id);

-- One row per customer per score_date (customers with open items or a settled history).
create table if not exists ml.customer_segments (
    score_date date not null,
    customer_id text not null,
    -- Amount-weighted mean p_late of the open items; null when the customer has none open.
    risk_score double precision check (risk_score between 0 and 1),
    segment text not null check (segment in ('new', 'exemplary', 'occasional', 'at_risk', 'chronic')),
    -- [{rule, es, en}]: why the customer is in its segment.
    reasons jsonb not null default '[]'::jsonb,
    primary key (score_date, customer_id)
);

-- Issue 12: the model chosen per book, its payment-date regressor, and drift (idempotent alters).
-- The champion as chosen on the validation window: kind, calibration map, features, the logistic
-- regression's numbers or the chosen XGBoost's booster; the training window and a model card.
alter table ml.models add column if not exists champion_kind text;
alter table ml.models add column if not exists selection jsonb not null default '{}'::jsonb;
alter table ml.models add column if not exists champion_booster bytea;
-- The days-to-pay regressor (ml/payment_regressor.py): its settings and conformal offsets, and booster.
alter table ml.models add column if not exists payment_regressor jsonb;
alter table ml.models add column if not exists payment_booster bytea;
-- Reference distributions of the features on the training rows, for PSI drift checks.
alter table ml.models add column if not exists reference jsonb not null default '{}'::jsonb;

-- The expected payment date's interval (split-conformal, nominal coverage in ml.models.payment_regressor);
-- null when the model has no regressor (then expected_payment_date is the rule's).
alter table ml.invoice_scores add column if not exists expected_payment_date_lower date;
alter table ml.invoice_scores add column if not exists expected_payment_date_upper date;

-- One row per score date and checked quantity: its PSI against the champion's training rows.
create table if not exists ml.drift_checks (
    score_date date not null,
    model_id text not null,
    quantity text not null,
    psi double precision not null,
    primary key (score_date, model_id, quantity)
);

-- A request to bring the retraining forward (drift above the threshold). The training run for a
-- date on or after requested_on marks it served (served_by_model_id).
create table if not exists ml.retrain_requests (
    requested_on date primary key,
    model_id text not null,
    reasons jsonb not null default '[]'::jsonb,
    served_by_model_id text
);

-- Champion and challenger for models (ml/promotion.py, `cartera model`). The first model ever
-- trained is champion by itself; later ones are challengers (review = 'pending') until a named
-- person promotes or rejects them. Null review: a champion by rule (the first model, a rerun of
-- the champion's date, CARTERA_MODEL_PROMOTION=auto) or a model from before this column.
-- The evidence is metrics->'challenged_champion', computed at training on the same held-out rows.
alter table ml.models add column if not exists review text check (review in ('pending', 'promoted', 'rejected'));

-- Every decision about which model scores, accepted or refused, with who, when, the models and the
-- evidence; the training run's automatic ones too (action 'auto', no person). Append-only, and
-- without a foreign key: a rerun of a date replaces its model row, the audit stays.
create table if not exists ml.model_decisions (
    decision_id bigserial primary key,
    decided_at timestamptz not null,
    decided_by text,                       -- the named person; null for the training run's rule
    os_user text,                          -- the account the command ran under, beside the person
    action text not null check (action in ('auto', 'promote', 'reject', 'refused')),
    attempted text,                        -- for a refused decision: what was asked ('promote', 'reject')
    model_id text not null,                -- the challenger promoted, rejected or refused
    champion_before text,                  -- the champion's model_id then (null before any)
    min_improvement numeric(7, 4),         -- the AUC difference its 95 % interval had to clear
    evidence jsonb not null default '{}'::jsonb,
    reason text not null,
    note text
);
create index if not exists model_decisions_model on ml.model_decisions (model_id, decision_id);
