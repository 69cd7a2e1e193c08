-- fraud_detector 0.1.0 -> 0.2.0 (docs/upgrading.md). Run by ALTER EXTENSION fraud_detector UPDATE,
-- in one transaction; tests/upgrade.sh proves the result equals a fresh install of 0.2.0.
-- Users' rows are kept; fraud.jobs.owner becomes a regrole (the same role, shown and dumped by
-- name), and two CHECKs refuse non-finite voiceprints (the API never wrote any).
\echo Use "ALTER EXTENSION fraud_detector UPDATE" to load this file. \quit

-- Internal helpers follow one naming rule (sql/support.sql): helpers behind a public getter take
-- the public parameter names prefixed with p_. A parameter name cannot change with CREATE OR
-- REPLACE, so these are dropped and created again; nothing depends on them but SQL-language
-- wrappers, which call them by position.
-- fraud._ext_schema() is gone: SQL reaches the API as @extschema@, substituted at install time.
-- fraud._job_input takes the name of the argument to blame (Voice ID jobs say input_data_config).

DROP FUNCTION fraud._batch_get_variable(wanted text[]);
DROP FUNCTION fraud._delete_events_by_event_type(p_event_type_name text);
DROP FUNCTION fraud._describe_detector(wanted text);
DROP FUNCTION fraud._ext_schema();
DROP FUNCTION fraud._get_batch_import_job_errors(p_job_id text);
DROP FUNCTION fraud._get_batch_import_jobs(p_job_id text);
DROP FUNCTION fraud._get_batch_prediction_jobs(p_job_id text);
DROP FUNCTION fraud._get_detectors(wanted text);
DROP FUNCTION fraud._get_event_types(wanted text);
DROP FUNCTION fraud._get_list_elements(wanted text);
DROP FUNCTION fraud._get_lists_metadata(wanted text);
DROP FUNCTION fraud._get_named(tbl text, kind text, resource_type text, wanted text);
DROP FUNCTION fraud._get_variables(wanted text);
DROP FUNCTION fraud._import_columns(p_event_type_name text, columns text[]);
DROP FUNCTION fraud._job_cancel(p_job_type text, p_job_id text);
DROP FUNCTION fraud._job_create(p_job_type text, p_job_id text, p_event_type_name text, p_detector_id text, p_detector_version_id integer, p_input_kind text, p_input_path text, p_output_path text, p_tags jsonb);
DROP FUNCTION fraud._job_delete(p_job_type text, p_job_id text);
DROP FUNCTION fraud._job_input(input_path text, OUT kind text, OUT source text, OUT columns text[], OUT types text[]);
DROP FUNCTION fraud._list_tags_for_resource(resource_arn text);
DROP FUNCTION fraud._lock_job(p_job_type text, p_job_id text);
DROP FUNCTION fraud._me();
DROP FUNCTION fraud._put_named(tbl text, kind text, resource_type text, name text, description text, tags jsonb);
DROP FUNCTION fraud._variable_rows(wanted text[]);
DROP FUNCTION fraud._voice_create_domain(p_name text, p_embedding_dimension integer, p_description text, p_cos_at_50 real, p_cos_at_90 real, p_min_speech real, p_tags jsonb);
DROP FUNCTION fraud._voice_job_source(p_job_type text, input_data_config jsonb, OUT kind text, OUT source text);
DROP FUNCTION fraud._voice_jobs(p_job_type text, p_domain_id text, p_job_id text, p_status text);
DROP FUNCTION fraud._voice_start_job(p_job_type text, p_domain_id text, p_input_data_config jsonb, p_job_name text, p_config jsonb);
DROP FUNCTION fraud._voice_update_domain(p_domain_id text, p_name text, p_description text, p_cos_at_50 real, p_cos_at_90 real, p_min_speech real);

-- One scoring, several answers: batch prediction and GetEventPrediction ran the rules twice per
-- event (fraud_predict and fraud_outcomes / fraud_explain); fraud._score runs them once.
CREATE TYPE fraud.scored AS (prediction jsonb, outcomes text[], metadata jsonb);
COMMENT ON TYPE fraud.scored IS 'One scoring of an event (fraud._score): fraud_predict''s jsonb, fraud_outcomes'' text[], and fraud_explain''s jsonb when asked for.';


-- Privilege model and hardening (docs/security.md).
-- fraud.jobs.owner: the role that created a job, by name (dumped and restored by name).
ALTER TABLE fraud.jobs ALTER COLUMN owner TYPE regrole USING owner::regrole;
-- Staging tables of jobs in flight take the new names (a hash of the job's key) and become
-- readable by the job's owner, who now fills them.
DO $$
DECLARE j record; v_new text;
BEGIN
    FOR j IN SELECT x.job_type, x.job_id, x.staging, x.owner FROM fraud.jobs x WHERE x.staging IS NOT NULL LOOP
        v_new := '_job_' || md5(j.job_type || '/' || j.job_id);
        IF to_regclass(j.staging) IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %s RENAME TO %I', to_regclass(j.staging), v_new);
            EXECUTE format('GRANT SELECT, INSERT ON fraud.%I TO %s', v_new, j.owner);
        END IF;
        UPDATE fraud.jobs x SET staging = 'fraud.' || v_new WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END LOOP;
END $$;

-- Voice ID: finite voiceprints only (the API never wrote anything else).
ALTER TABLE fraud.voice_fraudsters ADD CONSTRAINT voice_fraudster_embedding_finite
    CHECK (NOT embedding && '{NaN,Infinity,-Infinity}'::real[]);
ALTER TABLE fraud.voice_speakers ADD CONSTRAINT voice_speaker_embedding_finite
    CHECK (NOT embedding && '{NaN,Infinity,-Infinity}'::real[]);

-- Cache invalidation sees TRUNCATE and fires under session_replication_role = replica.
CREATE TRIGGER stamp_truncate AFTER TRUNCATE ON fraud.voice_fraudsters
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_truncate AFTER TRUNCATE ON fraud.voice_fraudster_watchlists
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
ALTER TABLE fraud.voice_fraudsters ENABLE ALWAYS TRIGGER stamp_insert, ENABLE ALWAYS TRIGGER stamp_update,
    ENABLE ALWAYS TRIGGER stamp_delete, ENABLE ALWAYS TRIGGER stamp_truncate;
ALTER TABLE fraud.voice_fraudster_watchlists ENABLE ALWAYS TRIGGER stamp_insert, ENABLE ALWAYS TRIGGER stamp_update,
    ENABLE ALWAYS TRIGGER stamp_delete, ENABLE ALWAYS TRIGGER stamp_truncate;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['variables', 'event_types', 'event_type_variables', 'lists', 'list_elements',
                             'detectors', 'rules', 'rule_versions', 'rule_version_outcomes', 'rule_version_lists',
                             'detector_versions', 'detector_version_rules'] LOOP
        EXECUTE format('ALTER TABLE fraud.%I ENABLE ALWAYS TRIGGER invalidate_compiled_detectors', t);
    END LOOP;
END $$;

-- Batch import reads CSV files itself (a broken record fails alone, with its line): a job
-- remembers where its next batch starts.
ALTER TABLE fraud.jobs ADD COLUMN input_offset bigint, ADD COLUMN input_line bigint;
-- The same rule as '^[0-9a-z_-]{1,64}$', checked faster on every stored event.
ALTER TABLE fraud.events DROP CONSTRAINT event_id_pattern,
    ADD CONSTRAINT event_id_pattern CHECK (event_id ~ '^[0-9a-z_-]+$' AND length(event_id) <= 64);
-- Voice ID: the chain of fraudsters_stamp changes, which lets a backend bring its cached
-- fraudster index forward instead of reloading it (docs/voice-id.md). Not config-dumped on
-- purpose: derived data, a missing link only means a full load.
CREATE TABLE fraud.voice_fraudster_changes (
    domain_id      text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    stamp          bigint NOT NULL,
    previous_stamp bigint NOT NULL,
    fraudster_ids  text[],
    PRIMARY KEY (domain_id, stamp)
);
ALTER TABLE fraud.voice_fraudster_changes SET (autovacuum_vacuum_scale_factor = 0.01);
-- A domain's fraudsters in the order a backend loads them into its index (src/voice.rs): read
-- from the index, not sorted with their voiceprints.
CREATE INDEX voice_fraudsters_load_order ON fraud.voice_fraudsters (domain_id, created_at, fraudster_id);

-- Issue 13 (velocity, backtesting, shadow versions; docs/velocity-and-backtesting.md).
-- Aggregate variables are variables with data source AGGREGATE; their definitions are new config
-- tables; fraud.event_keys and fraud.event_key_specs are derived (not dumped) and filled by
-- triggers created below, once their functions exist.
ALTER TABLE fraud.variables DROP CONSTRAINT variable_data_source_enum,
    ADD CONSTRAINT variable_data_source_enum CHECK (data_source IN ('EVENT', 'MODEL_SCORE', 'EXTERNAL_MODEL_SCORE', 'AGGREGATE'));
CREATE TABLE fraud.aggregate_variables (
    name              text PRIMARY KEY REFERENCES fraud.variables(name) ON DELETE CASCADE,
    -- what the past events are grouped by: exactly one of the two
    entity_type       text REFERENCES fraud.entity_types(name) ON DELETE RESTRICT,
    group_by_variable text REFERENCES fraud.variables(name) ON DELETE RESTRICT,
    function          text NOT NULL CONSTRAINT aggregate_function_enum
                      CHECK (function IN ('COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX')),
    variable          text REFERENCES fraud.variables(name) ON DELETE RESTRICT,
    -- days and smaller units only: a month has no fixed length
    time_window       interval NOT NULL CONSTRAINT aggregate_window_range
                      CHECK (time_window > interval '0' AND time_window <= interval '400 days'
                             AND date_part('year', time_window) = 0 AND date_part('month', time_window) = 0),
    filter            text CONSTRAINT aggregate_filter_length CHECK (length(filter) BETWEEN 1 AND 4096),
    CONSTRAINT aggregate_group_by_one CHECK ((entity_type IS NULL) <> (group_by_variable IS NULL)),
    CONSTRAINT aggregate_count_reads_no_variable CHECK ((function = 'COUNT') = (variable IS NULL))
);
COMMENT ON TABLE fraud.aggregate_variables IS 'Aggregate (velocity) variables: what each computes over the stored events that share a key with the scored event (docs/velocity-and-backtesting.md). The name, data type and description are the row of fraud.variables with data source AGGREGATE.';
COMMENT ON COLUMN fraud.aggregate_variables.entity_type IS 'Group by the scored event''s entity of this type (NULL when grouped by a variable).';
COMMENT ON COLUMN fraud.aggregate_variables.group_by_variable IS 'Group by the value of this STRING variable (NULL when grouped by an entity type).';
COMMENT ON COLUMN fraud.aggregate_variables.function IS 'COUNT, COUNT_DISTINCT, SUM, AVG, MIN or MAX.';
COMMENT ON COLUMN fraud.aggregate_variables.variable IS 'The variable aggregated (NULL for COUNT).';
COMMENT ON COLUMN fraud.aggregate_variables.time_window IS 'How far back past events count: (T - time_window, T] for an event scored at T; a day is 24 hours.';
COMMENT ON COLUMN fraud.aggregate_variables.filter IS 'A rule-language expression over the past event''s variables and $label; only past events for which it is true count. NULL: all.';

CREATE TABLE fraud.aggregate_variable_event_types (
    aggregate_name  text NOT NULL REFERENCES fraud.aggregate_variables(name) ON DELETE CASCADE,
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE RESTRICT,
    PRIMARY KEY (aggregate_name, event_type_name)
);
COMMENT ON TABLE fraud.aggregate_variable_event_types IS 'The event types whose stored events an aggregate variable reads.';

-- The keys of stored events that aggregate variables group by, one row per (event, key): what
-- makes an aggregate one index range scan (and, for the keys of aggregates that read variables,
-- the events' variables too: their disk for no second lookup per past event). Derived from fraud.events and kept in step by its
-- triggers (fraud._event_keys_*), only for the keys some aggregate variable uses, so a
-- database without aggregates pays nothing; not dumped (a restore rebuilds it).
CREATE TABLE fraud.event_keys (
    -- "C": keys are compared byte for byte, never by the database's collation
    key_name        text COLLATE "C" NOT NULL,
    key_value       text COLLATE "C" NOT NULL,
    event_timestamp timestamptz NOT NULL,
    event_type_name text NOT NULL,
    event_id        text NOT NULL,
    -- the event's label, so that an aggregate filtered by labels reads the index alone
    event_label     text,
    label_timestamp timestamptz,
    -- the event's variables, for the keys an aggregate that reads them groups by
    -- (fraud.event_key_specs.with_variables): one heap row, no lookup in fraud.events
    event_variables jsonb
);
COMMENT ON TABLE fraud.event_keys IS 'Derived index of stored events by the keys aggregate variables group by (docs/velocity-and-backtesting.md), maintained by triggers on fraud.events and fraud.aggregate_variables; not dumped, rebuilt on restore.';
COMMENT ON COLUMN fraud.event_keys.key_name IS 'An entity type, or $ and a variable name.';
COMMENT ON COLUMN fraud.event_keys.key_value IS 'The entity id, or the variable''s stored value.';
CREATE INDEX event_keys_lookup ON fraud.event_keys (key_name, key_value, event_timestamp)
    INCLUDE (event_type_name, event_id, event_label, label_timestamp);

-- Which keys fraud.event_keys holds, per event type: the ones the aggregate variables need,
-- made so by fraud._sync_event_keys() whenever the aggregates change. Derived, not dumped.
CREATE TABLE fraud.event_key_specs (
    event_type_name   text NOT NULL,
    key_name          text NOT NULL,
    entity_type       text,
    group_by_variable text,
    -- whether its keys carry their events' variables (some aggregate on it reads them)
    with_variables    boolean NOT NULL,
    PRIMARY KEY (event_type_name, key_name)
);
COMMENT ON TABLE fraud.event_key_specs IS 'The keys fraud.event_keys holds for each event type: those the aggregate variables group by (fraud._sync_event_keys). Derived, not dumped.';
SELECT pg_catalog.pg_extension_config_dump('fraud.aggregate_variables', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.aggregate_variable_event_types', '');
CREATE TRIGGER invalidate_compiled_detectors AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.aggregate_variables
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._catalog_changed();
CREATE TRIGGER invalidate_compiled_detectors AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.aggregate_variable_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._catalog_changed();
ALTER TABLE fraud.aggregate_variables ENABLE ALWAYS TRIGGER invalidate_compiled_detectors;
ALTER TABLE fraud.aggregate_variable_event_types ENABLE ALWAYS TRIGGER invalidate_compiled_detectors;
-- A stored event replayed through a detector version (fraud._replay, backtesting), and backtest
-- jobs (a detector, no input of the caller's).
CREATE TYPE fraud.replayed AS (evaluated int, matched_rules text[], outcomes text[]);
COMMENT ON TYPE fraud.replayed IS 'One stored event replayed through a detector version (fraud._replay): how many rules were evaluated (the first ones, in order), the ids of those that matched, and the outcomes.';
ALTER TABLE fraud.jobs DROP CONSTRAINT job_type_enum,
    ADD CONSTRAINT job_type_enum CHECK (job_type IN ('BATCH_IMPORT', 'BATCH_PREDICTION', 'DELETE_EVENTS', 'BACKTEST',
                                                     'FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT', 'MODEL_TRAINING')),
    DROP CONSTRAINT job_prediction_has_detector,
    ADD CONSTRAINT job_prediction_has_detector CHECK ((job_type IN ('BATCH_PREDICTION', 'BACKTEST')) = (detector_id IS NOT NULL));
-- Shadow versions: the flag of a version and of a recorded prediction.
ALTER TABLE fraud.detector_versions ADD COLUMN shadow boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT detector_version_shadow_not_active CHECK (NOT (shadow AND status = 'ACTIVE'));
COMMENT ON COLUMN fraud.detector_versions.shadow IS 'A shadow version (DRAFT or INACTIVE, never ACTIVE: CHECK detector_version_shadow_not_active): fraud_get_event_prediction scores it too whenever it scores the ACTIVE version, and records its result in fraud.event_predictions with shadow = true, never returning it. Set by fraud_update_detector_version_shadow; activating the version clears it.';
ALTER TABLE fraud.event_predictions ADD COLUMN shadow boolean NOT NULL DEFAULT false;
COMMENT ON TABLE fraud.event_predictions IS 'Prediction history: one row per fraud_get_event_prediction call (fraud_predict records nothing), read by fraud_list_event_predictions and fraud_get_event_prediction_metadata, and the outbox of prediction notifications, read by prediction_id (docs/sql-reference.md, "Prediction notifications"); and, with shadow = true, one row per shadow version such a call scored, read by fraud_rule_stats only. Kept until deleted (no 30-day limit).';
COMMENT ON COLUMN fraud.event_predictions.shadow IS 'true: the result of a shadow version (fraud.detector_versions.shadow), scored with the same event and prediction_timestamp as the prediction the caller got and never returned, notified, listed by fraud_list_event_predictions or shown by fraud_get_event_prediction_metadata; read by fraud_rule_stats. Outbox readers skip these rows (docs/sql-reference.md, "Prediction notifications").';
-- fraud_describe_detector and fraud_get_detector_version gain a result column (shadow), which
-- CREATE OR REPLACE cannot do: the public functions are renamed here, created again below, given
-- the EXECUTE grants the old ones had to roles (what CREATE OR REPLACE would have kept,
-- docs/upgrading.md; PUBLIC's is not carried, fraud._secure_api revokes it anyway), and the old
-- ones dropped. Their internal helpers hold no grants.
ALTER FUNCTION @extschema@.fraud_describe_detector(text) RENAME TO fraud_describe_detector_before_shadow;
ALTER FUNCTION @extschema@.fraud_get_detector_version(text, text) RENAME TO fraud_get_detector_version_before_shadow;
DROP FUNCTION fraud._get_detector_version(text, text);

-- Issue 14 (Citus scale-out; docs/scale-out.md): the table the coordinator's catalog changes
-- travel through to the workers (a Citus reference table once fraud_citus_setup() has run).
-- What a catalog-changing statement on the coordinator did, as rows of this table: the rows it
-- removed (DELETE, old_rows) and added (INSERT, new_rows), to_jsonb of each, in chunks; an UPDATE
-- is both. TRUNCATE and SYNC empty the table (SYNC's rows follow as INSERTs).
-- Rows live only as long as the statement that writes them (fraud._cluster_ship deletes them
-- again); the workers act on the INSERT.
CREATE TABLE fraud.cluster_changes (
    change_id  bigserial PRIMARY KEY,
    table_name name NOT NULL,
    operation  text NOT NULL CONSTRAINT cluster_change_operation CHECK (operation IN ('INSERT', 'DELETE', 'TRUNCATE', 'SYNC')),
    old_rows   jsonb,
    new_rows   jsonb
);
COMMENT ON TABLE fraud.cluster_changes IS 'Catalog changes on their way from the Citus coordinator to the workers (docs/scale-out.md): a reference table after fraud_citus_setup(), written and emptied within each catalog-changing statement; a trigger on each worker applies the rows to its catalog in the same two-phase-committed transaction. Always empty between statements; not dumped.';

-- Issue 9 (models; docs/models.md): models and their trained versions, external models, the
-- MODEL_TRAINING job type (above), tags on them; the detector version checks of model versions
-- and external models take the detector's event type (new signatures).
-- Models (docs/models.md): AFD's models and model versions, trained in the database on stored
-- events by a job (sql/models.sql, src/model.rs); what a model learns is the engine's
-- (engine/src/model). Keyed by (model_id, model_type) as AFD's API is.
CREATE TABLE fraud.models (
    model_id          text NOT NULL CONSTRAINT model_id_pattern CHECK (model_id ~ '^[0-9a-z_]+$' AND length(model_id) <= 64),
    model_type        text NOT NULL CONSTRAINT model_type_enum CHECK (model_type IN ('ONLINE_FRAUD_INSIGHTS',
                          'TRANSACTION_FRAUD_INSIGHTS', 'ACCOUNT_TAKEOVER_INSIGHTS')),
    event_type_name   text NOT NULL REFERENCES fraud.event_types(name) ON DELETE RESTRICT,
    description       text,
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, model_type)
);
COMMENT ON TABLE fraud.models IS 'Models (CreateModel): a model id and type trained on events of one event type; its trained versions are fraud.model_versions.';
COMMENT ON COLUMN fraud.models.model_type IS 'ONLINE_FRAUD_INSIGHTS (the event alone), TRANSACTION_FRAUD_INSIGHTS (the event and its entity''s history) or ACCOUNT_TAKEOVER_INSIGHTS (a login against its account''s history).';

CREATE TABLE fraud.model_versions (
    model_id               text NOT NULL,
    model_type             text NOT NULL,
    -- "<major>.<minor>", e.g. 1.0; major and minor as numbers for ordering
    model_version_number   text NOT NULL CONSTRAINT model_version_number_pattern CHECK (model_version_number ~ '^[1-9][0-9]{0,3}\.[0-9]{1,2}$'),
    major                  int NOT NULL,
    minor                  int NOT NULL,
    status                 text NOT NULL DEFAULT 'TRAINING_IN_PROGRESS'
                           CONSTRAINT model_version_status_enum CHECK (status IN ('TRAINING_IN_PROGRESS', 'TRAINING_COMPLETE',
                               'ACTIVATE_REQUESTED', 'ACTIVATE_IN_PROGRESS', 'ACTIVE', 'INACTIVATE_REQUESTED',
                               'INACTIVATE_IN_PROGRESS', 'INACTIVE', 'TRAINING_CANCELLED', 'ERROR')),
    training_data_source   text NOT NULL CONSTRAINT model_training_data_source_enum CHECK (training_data_source IN ('EXTERNAL_EVENTS', 'INGESTED_EVENTS')),
    training_data_schema   jsonb NOT NULL,
    external_events_detail jsonb,
    ingested_events_detail jsonb,
    training_result        jsonb,
    training_result_v2     jsonb,
    -- the trained model (engine/src/model: encoders, trees, calibration), JSON
    model_data             text,
    failure_reason         text,
    -- 0 to 1 while training
    training_progress      real NOT NULL DEFAULT 0,
    created_time           timestamptz NOT NULL DEFAULT now(),
    last_updated_time      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, model_type, model_version_number),
    UNIQUE (model_id, model_type, major, minor),
    FOREIGN KEY (model_id, model_type) REFERENCES fraud.models(model_id, model_type) ON DELETE RESTRICT,
    CONSTRAINT model_version_trained CHECK ((model_data IS NOT NULL) OR status IN ('TRAINING_IN_PROGRESS', 'TRAINING_CANCELLED', 'ERROR'))
);
COMMENT ON TABLE fraud.model_versions IS 'Model versions (CreateModelVersion, UpdateModelVersion): the training request, its results in AFD''s shapes, and the trained model.';
COMMENT ON COLUMN fraud.model_versions.status IS 'TRAINING_IN_PROGRESS, TRAINING_COMPLETE, ACTIVE, INACTIVE, TRAINING_CANCELLED or ERROR (training failed: failure_reason says why).';
COMMENT ON COLUMN fraud.model_versions.training_result IS 'AFD TrainingResult: dataValidationMetrics, trainingMetrics (auc, metricDataPoints), variableImportanceMetrics.';
COMMENT ON COLUMN fraud.model_versions.training_result_v2 IS 'AFD TrainingResultV2: dataValidationMetrics, trainingMetricsV2 (ofi, tfi or ati), variableImportanceMetrics, aggregatedVariablesImportanceMetrics.';
COMMENT ON COLUMN fraud.model_versions.model_data IS 'The trained model as the engine serializes it (JSON): feature encoders, trees, score calibration. Loaded once per backend with the detector versions that use it.';
COMMENT ON COLUMN fraud.model_versions.failure_reason IS 'Why a version is in ERROR (training failed, data validation refused the data, or its worker stopped).';
COMMENT ON COLUMN fraud.model_versions.training_progress IS 'How far training is, 0 to 1, committed by the training job as it goes (visible from any session).';

-- External models (PutExternalModel): a SQL function the user owns, named by modelEndpoint.
CREATE TABLE fraud.external_models (
    model_endpoint         text PRIMARY KEY CONSTRAINT external_model_endpoint_pattern CHECK (model_endpoint ~ '^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$' AND length(model_endpoint) <= 127),
    model_source           text NOT NULL CONSTRAINT external_model_source_enum CHECK (model_source IN ('SAGEMAKER')),
    invoke_model_endpoint_role_arn text NOT NULL,
    -- the function called: schema.fn(jsonb) RETURNS jsonb; regprocedure, dumped by name
    function               regprocedure NOT NULL,
    input_configuration    jsonb NOT NULL,
    output_configuration   jsonb NOT NULL,
    model_endpoint_status  text NOT NULL CONSTRAINT external_model_status_enum CHECK (model_endpoint_status IN ('ASSOCIATED', 'DISSOCIATED')),
    created_time           timestamptz NOT NULL DEFAULT now(),
    last_updated_time      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.external_models IS 'External models (PutExternalModel): modelEndpoint names a SQL function schema.fn(jsonb) RETURNS jsonb that scores an event; its outputs map to EXTERNAL_MODEL_SCORE variables.';
COMMENT ON COLUMN fraud.external_models.function IS 'The endpoint''s function, resolved when the model was put (regprocedure: restored by name and signature).';

SELECT pg_catalog.pg_extension_config_dump('fraud.models', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.external_models', '');
ALTER TABLE fraud.tags DROP CONSTRAINT tag_resource_type_enum,
    ADD CONSTRAINT tag_resource_type_enum CHECK (resource_type IN
                    ('entity-type', 'event-type', 'variable', 'label', 'outcome', 'list',
                     'detector', 'detector-version', 'rule', 'batch-import', 'batch-prediction', 'voice-domain',
                     'model', 'model-version', 'external-model'));
DROP FUNCTION fraud._model_versions_arg(jsonb);
DROP FUNCTION fraud._external_model_endpoints_arg(text[]);

-- New and changed functions:
-- * user-facing errors raised through fraud._raise, which leaves out CONTEXT lines of our
--   internals (docs/sql-reference.md, Errors); messages that list what uses an object show a few
--   and a count; timestamps and big integers reported as sent;
-- * speaker enrolment runs the fraud check by default (FraudDetectionAction FAIL, the default
--   watchlist and threshold); a first registration reports FraudsterSimilarityScore null;
-- * fraud_update_detector_version: external_model_endpoints defaults to {};
-- * GetEventPredictionMetadata accepts epoch milliseconds too;
-- * GetEventPrediction of an event type with eventBridgeEnabled sends a NOTIFY on channel
--   fraud_detector_predictions (fraud._prediction_notification; docs/sql-reference.md);
-- * Voice ID fraud and duplicate checks normalised for the watchlist's size (a score means the
--   same false-alarm rate as against 500 voices; docs/voice-id.md, "Large watchlists"):
--   fraud._voice_nearest_normalized, fraud._voice_score_shift;
-- * fraud._score where two scorings were; @extschema@ instead of a run-time schema lookup;
--   fraud_batch_create_variable calls fraud_create_variable schema-qualified (it failed when
--   the caller's search_path did not hold the API's schema).
-- * the privilege model (docs/security.md): nothing for PUBLIC, capabilities granted with
--   fraud_grant, management functions SECURITY DEFINER with a pinned search_path, catalog reads
--   of the scoring functions as the owner; jobs run as their creator (fraud._caller_token,
--   fraud._run_as), liveness from pg_locks, at most two workers per database, staging tables
--   named from a hash of the job's key;
-- * regular expressions in rules anchored so that no pattern escapes, with a size limit (54000);
--   non-finite FLOAT values refused; Voice ID stamps on TRUNCATE; a byte-budgeted cache of
--   compiled versions (fraud_detector.cache_size).
-- * batch import: CSV read record by record in Rust (fraud._csv_header, _csv_scan,
--   _import_batch), the file privilege pg_read_server_files checked by the extension, every
--   row checked by the engine (fraud._variable_value_error calls the same code);
-- * Voice ID: the cached fraudster index brought forward from fraud.voice_fraudster_changes;
--   registration checks a whole batch at once (fraud._voice_registration_checks).
-- * job liveness (fraud._job_worker_alive, _job_workers_busy) read from a fresh pg_stat_activity,
--   not the copy a transaction keeps (a polling session reaped a live worker's job).
-- * issue 13: aggregate (velocity) variables (fraud_create_aggregate_variable,
--   fraud_get_aggregate_variables, fraud_delete_aggregate_variable; computed by the scoring
--   functions, fraud._score_historical for batch prediction), backtesting (fraud_backtest,
--   fraud_backtest_events, fraud._replay, backtest jobs), shadow versions
--   (fraud_update_detector_version_shadow, fraud_get_event_prediction scores them) and
--   fraud_rule_stats; job output tables made by fraud._job_output_table; fraud_rebuild_event_keys.
-- * models (issue 9, docs/models.md): fraud_create_model ... fraud_delete_external_model, the
--   training job's steps (fraud._model_training_step, fraud._train_model_step), model scores and
--   external model outputs in every scoring path, rules on $<model_id>_insightscore; the job
--   machinery ends a training job's version (fraud._job_finish, fraud._reap_jobs); history models
--   keep their entities' keys in fraud.event_keys (fraud._needed_key_specs);
--   fraud_create_variable accepts EXTERNAL_MODEL_SCORE; managing grants schema USAGE (its
--   wrappers mint caller tokens).
-- * Citus scale-out (issue 14, docs/scale-out.md): fraud_citus_setup() and the functions that
--   ship catalog changes from the coordinator to the workers (fraud._cluster_*,
--   fraud._creating_extension); fraud_citus_distribute_events(); the Voice ID stamp trigger
--   steps aside while a worker applies the coordinator's stamps; GetEventPrediction, the
--   DeleteEventsByEventType step and the event key sync written so that Citus can run them on a
--   distributed fraud.events.

CREATE OR REPLACE FUNCTION @extschema@.fraud_backtest(detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, baseline_version_id text DEFAULT NULL::text, fraud_labels text[] DEFAULT '{fraud}'::text[])
 RETURNS TABLE(kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint, matched_legit bigint, "precision" double precision, recall double precision)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._backtest(detector_id, detector_version_id, "from", "to", baseline_version_id, fraud_labels) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_backtest_events(detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, baseline_version_id text DEFAULT NULL::text)
 RETURNS TABLE(event_type_name text, event_id text, event_timestamp timestamp with time zone, event_label text, evaluated integer, matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._backtest_events(detector_id, detector_version_id, "from", "to", baseline_version_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_batch_create_variable(variable_entries jsonb, tags jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(name text, code integer, message text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE e jsonb; state text; msg text;
BEGIN
    PERFORM fraud._required('variable_entries', variable_entries);
    IF jsonb_typeof(variable_entries) <> 'array' OR jsonb_array_length(variable_entries) NOT BETWEEN 1 AND 25 THEN
        PERFORM fraud._invalid('variable_entries', variable_entries::text, '(must be an array of 1 to 25 entries)');
    END IF;
    PERFORM fraud._tag_pairs(tags); -- shape errors fail the whole call, before anything is written
    FOR e IN SELECT jsonb_array_elements(variable_entries) LOOP
        name := CASE WHEN jsonb_typeof(e) = 'object' THEN e->>'name' END;
        BEGIN
            IF jsonb_typeof(e) <> 'object' THEN
                PERFORM fraud._invalid('variable entry', e::text, '(must be an object)');
            END IF;
            PERFORM @extschema@.fraud_create_variable(e->>'name', e->>'dataType', e->>'dataSource', e->>'defaultValue',
                                          e->>'description', e->>'variableType', tags);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            code := CASE state WHEN '23505' THEN 409 WHEN '42704' THEN 404 WHEN '22023' THEN 400 ELSE 500 END;
            message := msg;
            RETURN NEXT;
        END;
    END LOOP;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_batch_get_variable(names text[])
 RETURNS TABLE(name text, data_type text, data_source text, default_value text, description text, variable_type text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text, error_code integer, error_message text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._batch_get_variable(names) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_cancel_backtest_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_cancel('BACKTEST', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_cancel_batch_import_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_cancel('BATCH_IMPORT', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_cancel_batch_prediction_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_cancel('BATCH_PREDICTION', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_capabilities()
 RETURNS TABLE(capability text, function_signature regprocedure)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._capability_table() $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_check_voice_id(result jsonb, option text)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE auth text := result->'AuthenticationResult'->>'Decision';
        fraud text := result->'FraudDetectionResult'->>'Decision';
BEGIN
    PERFORM fraud._check_enum('option', option, ARRAY['enrollmentStatus', 'voiceAuthentication', 'fraudDetection']);
    CASE option
    WHEN 'enrollmentStatus' THEN
        RETURN CASE WHEN auth IN ('ACCEPT', 'REJECT', 'NOT_ENOUGH_SPEECH') THEN 'Enrolled'
                    WHEN auth IN ('SPEAKER_NOT_ENROLLED', 'SPEAKER_EXPIRED') THEN 'Not enrolled'
                    WHEN auth = 'SPEAKER_OPTED_OUT' THEN 'Opted out'
                    ELSE 'Error' END;
    WHEN 'voiceAuthentication' THEN
        RETURN CASE auth WHEN 'ACCEPT' THEN 'Authenticated' WHEN 'REJECT' THEN 'Not authenticated'
                         WHEN 'NOT_ENOUGH_SPEECH' THEN 'Inconclusive'
                         WHEN 'SPEAKER_NOT_ENROLLED' THEN 'Not enrolled' WHEN 'SPEAKER_EXPIRED' THEN 'Not enrolled'
                         WHEN 'SPEAKER_OPTED_OUT' THEN 'Opted out'
                         ELSE 'Error' END;
    ELSE
        RETURN CASE fraud WHEN 'HIGH_RISK' THEN 'High risk' WHEN 'LOW_RISK' THEN 'Low risk'
                          WHEN 'NOT_ENOUGH_SPEECH' THEN 'Inconclusive' ELSE 'Error' END;
    END CASE;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_citus_distribute_events(shard_count integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._citus_check();
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = 'fraud.cluster_changes'::regclass) THEN
        PERFORM fraud._raise('55000', 'run fraud_citus_setup() first');
    END IF;
    IF shard_count IS NOT NULL AND shard_count NOT BETWEEN 1 AND 64000 THEN
        PERFORM fraud._invalid('shard_count', shard_count::text, '(1 to 64000)');
    END IF;
    IF fraud._events_distributed() THEN
        RETURN jsonb_build_object('events', 'distributed by event_id', 'event_predictions', 'distributed by event_id, co-located',
                                  'changed', false);
    END IF;
    IF EXISTS (SELECT 1 FROM fraud._needed_key_specs()) THEN
        PERFORM fraud._raise('0A000', 'stored events cannot be distributed while aggregate variables or history-reading models need them on the coordinator',
                             'Aggregate variables and TRANSACTION_FRAUD_INSIGHTS / ACCOUNT_TAKEOVER_INSIGHTS model versions read fraud.event_keys next to fraud.events (docs/scale-out.md).', NULL);
    END IF;
    LOCK TABLE fraud.events, fraud.event_predictions, fraud.event_types, fraud.labels IN EXCLUSIVE MODE;
    -- Citus keeps foreign keys to reference tables only: deleting an event type deletes its
    -- events by trigger instead, and a label in use is refused by fraud_delete_label itself
    ALTER TABLE fraud.events DROP CONSTRAINT events_event_type_name_fkey, DROP CONSTRAINT events_event_label_fkey;
    CREATE TRIGGER delete_events AFTER DELETE ON fraud.event_types REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_type_deleted();
    -- a distributed table's unique keys include its distribution column
    ALTER TABLE fraud.event_predictions DROP CONSTRAINT event_predictions_pkey,
        ADD CONSTRAINT event_predictions_pkey PRIMARY KEY (event_id, prediction_id);
    CREATE INDEX event_predictions_prediction_id ON fraud.event_predictions (prediction_id);
    -- the event_keys triggers of fraud.events go with it to the shards (they do nothing while no
    -- aggregate variable or history model exists, which is refused from now on)
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    IF shard_count IS NULL THEN
        PERFORM create_distributed_table('fraud.events', 'event_id');
    ELSE
        PERFORM create_distributed_table('fraud.events', 'event_id', shard_count => shard_count);
    END IF;
    PERFORM create_distributed_table('fraud.event_predictions', 'event_id', colocate_with => 'fraud.events');
    PERFORM set_config('citus.enable_unsafe_triggers', 'off', true);
    -- the rows now live in the shards; the coordinator's own copies would only take space
    PERFORM truncate_local_data_after_distributing_table('fraud.events');
    PERFORM truncate_local_data_after_distributing_table('fraud.event_predictions');
    RETURN jsonb_build_object('events', 'distributed by event_id', 'event_predictions', 'distributed by event_id, co-located',
                              'changed', true);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_citus_setup()
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET extra_float_digits TO '1'
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE t record; rel regclass; chunk record; ev text; total bigint := 0; failed text;
BEGIN
    PERFORM fraud._citus_check();
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = 'fraud.cluster_changes'::regclass) THEN
        -- the apply trigger goes with the table to every node's placement
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
        PERFORM create_reference_table('fraud.cluster_changes');
        PERFORM set_config('citus.enable_unsafe_triggers', 'off', true);
    ELSE
        -- Citus copies reference tables to a node added later only when something needs them
        PERFORM replicate_reference_tables('block_writes');
    END IF;
    -- run_command_on_workers commits on its own; creating the guards twice is harmless. A
    -- speaker's last_accessed_at is what EvaluateSession on a worker writes (that node's own
    -- record of it, replaced by the coordinator's whenever the speaker changes there).
    SELECT string_agg(format('%s:%s: %s', r.nodename, r.nodeport, r.result), '; ') INTO failed
    FROM run_command_on_workers($q$DO $d$ DECLARE t record; updates text; BEGIN
        FOR t IN SELECT * FROM fraud._cluster_tables() LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = format('fraud.%I', t.table_name)::regclass
                           AND tgname = 'changed_on_coordinator_only') THEN
                updates := 'UPDATE';
                IF t.table_name = 'voice_speakers' THEN
                    SELECT 'UPDATE OF ' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO updates
                    FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = 'fraud.voice_speakers'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attname <> 'last_accessed_at';
                END IF;
                EXECUTE format('CREATE TRIGGER changed_on_coordinator_only BEFORE INSERT OR %s OR DELETE OR TRUNCATE
                                ON fraud.%I FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_refuse_write()', updates, t.table_name);
            END IF;
        END LOOP; END $d$$q$) r
    WHERE NOT r.success;
    IF failed IS NOT NULL THEN
        PERFORM fraud._raise('55000', format('a worker could not be prepared: %s', failed));
    END IF;
    -- a node added since the last call has an empty catalog: every call ships all of it
    FOR t IN SELECT * FROM fraud._cluster_tables() ORDER BY ord LOOP
        rel := format('fraud.%I', t.table_name)::regclass;
        FOREACH ev IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] LOOP
            -- named to fire after the table's other statement triggers: what they refuse is
            -- refused here first, what they derive is shipped before the statement itself.
            -- ENABLE ALWAYS: a change made on the coordinator under session_replication_role =
            -- replica (a restore, a logical replication subscriber) reaches the workers too.
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = rel AND tgname = 'zz_ship_' || lower(ev)) THEN
                EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_ship()',
                               'zz_ship_' || lower(ev), ev, rel,
                               CASE ev WHEN 'INSERT' THEN 'REFERENCING NEW TABLE AS new_rows'
                                       WHEN 'UPDATE' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                                       WHEN 'DELETE' THEN 'REFERENCING OLD TABLE AS old_rows' ELSE '' END);
                EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', rel, 'zz_ship_' || lower(ev));
            END IF;
        END LOOP;
        -- the table emptied, then its rows in chunks
        PERFORM fraud._cluster_send(t.table_name, 'SYNC', NULL, NULL);
        FOR chunk IN EXECUTE format('SELECT jsonb_agg(x.r) AS rows, count(*) AS n FROM (SELECT to_jsonb(r) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                                        FROM %s r) x GROUP BY x.g ORDER BY x.g', rel) LOOP
            PERFORM fraud._cluster_send(t.table_name, 'INSERT', NULL, chunk.rows);
            total := total + chunk.n;
        END LOOP;
    END LOOP;
    RETURN jsonb_build_object('workers', (SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'),
                              'tables', (SELECT count(*) FROM fraud._cluster_tables()), 'rows', total);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_aggregate_variable(name text, event_types text[], function text, time_window interval, entity_type text DEFAULT NULL::text, group_by_variable text DEFAULT NULL::text, variable text DEFAULT NULL::text, filter text DEFAULT NULL::text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE t text; input_type text; typed text[]; missing text;
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_flat('event_types', event_types);
    PERFORM fraud._check_names('event_types', event_types, 1);
    PERFORM fraud._check_exist('event type', 'event_types', event_types);
    PERFORM fraud._required('function', function);
    PERFORM fraud._required('time_window', time_window);
    IF time_window <= interval '0' OR time_window > interval '400 days'
       OR date_part('year', time_window) <> 0 OR date_part('month', time_window) <> 0 THEN
        PERFORM fraud._invalid('time_window', time_window::text, '(must be longer than 0 and at most 400 days, in days or smaller units)');
    END IF;
    IF (entity_type IS NULL) = (group_by_variable IS NULL) THEN
        PERFORM fraud._invalid('entity_type', coalesce(entity_type, 'NULL'), '(give exactly one of entity_type and group_by_variable)');
    END IF;
    IF entity_type IS NOT NULL THEN
        PERFORM fraud._check_exist('entity type', 'entity_types', ARRAY[entity_type]);
        SELECT x INTO missing FROM unnest(event_types) x
            WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_entity_types m
                              WHERE m.event_type_name = x AND m.entity_type_name = fraud_create_aggregate_variable.entity_type)
            LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM fraud._invalid('entity_type', entity_type, format('(not an entity type of event type %s)', quote_literal(missing)));
        END IF;
    END IF;
    IF group_by_variable IS NOT NULL THEN
        PERFORM fraud._check_exist('variable', 'variables', ARRAY[group_by_variable]);
        IF (SELECT v.data_type FROM fraud.variables v WHERE v.name = group_by_variable) <> 'STRING' THEN
            PERFORM fraud._invalid('group_by_variable', group_by_variable, '(must be a STRING variable)');
        END IF;
    END IF;
    FOREACH t IN ARRAY ARRAY[group_by_variable, variable] LOOP
        IF t IS NULL THEN CONTINUE; END IF;
        SELECT x INTO missing FROM unnest(event_types) x
            WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_variables m WHERE m.event_type_name = x AND m.variable_name = t)
            LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM fraud._invalid(CASE t WHEN variable THEN 'variable' ELSE 'group_by_variable' END, t,
                                   format('(not a variable of event type %s)', quote_literal(missing)));
        END IF;
    END LOOP;
    IF variable IS NOT NULL THEN
        SELECT v.data_type INTO input_type FROM fraud.variables v WHERE v.name = variable;
    END IF;
    -- the data type and the value over no events are the engine's (Function::result_type)
    typed := fraud._aggregate_type(function, input_type);
    PERFORM fraud._check_description('description', description);
    IF filter IS NOT NULL AND length(filter) NOT BETWEEN 1 AND 4096 THEN
        PERFORM fraud._invalid('filter', filter, '(must be 1 to 4096 characters)');
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = fraud_create_aggregate_variable.name) THEN
        PERFORM fraud._duplicate('variable', name);
    END IF;
    INSERT INTO fraud.variables (name, data_type, data_source, default_value, description)
        VALUES (name, typed[1], 'AGGREGATE', typed[2], description);
    INSERT INTO fraud.aggregate_variables (name, entity_type, group_by_variable, function, variable, time_window, filter)
        VALUES (name, entity_type, group_by_variable, function, variable, time_window, filter);
    INSERT INTO fraud.aggregate_variable_event_types (aggregate_name, event_type_name)
        SELECT name, x FROM unnest(event_types) x;
    -- the filter compiled as prediction will compile it (42601 / 22023)
    PERFORM fraud._check_aggregate_variable(name);
    PERFORM fraud._set_tags('variable', name, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_backtest_job(job_id text, detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, output_path text, baseline_version_id text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE sql
AS $function$
    SELECT fraud._create_backtest_job(job_id, detector_id, detector_version_id, "from", "to", output_path,
                                      baseline_version_id, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_batch_import_job(job_id text, input_path text, event_type_name text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
    SELECT fraud._create_batch_import_job(job_id, input_path, event_type_name, tags, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_batch_prediction_job(job_id text, input_path text, output_path text, event_type_name text, detector_name text, detector_version text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
    SELECT fraud._create_batch_prediction_job(job_id, input_path, output_path, event_type_name, detector_name,
                                              detector_version, tags, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_detector_version(detector_id text, rules jsonb, description text DEFAULT NULL::text, external_model_endpoints text[] DEFAULT NULL::text[], model_versions jsonb DEFAULT NULL::jsonb, rule_execution_mode text DEFAULT 'FIRST_MATCHED'::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(detector_id text, detector_version_id text, status text)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._create_detector_version(detector_id, rules, description, external_model_endpoints,
                                                 model_versions, rule_execution_mode, tags)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_list(name text, elements text[] DEFAULT NULL::text[], variable_type text DEFAULT NULL::text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_list_elements(elements);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    IF EXISTS (SELECT 1 FROM fraud.lists l WHERE l.name = fraud_create_list.name) THEN
        PERFORM fraud._duplicate('list', name);
    END IF;
    INSERT INTO fraud.lists(name, description, variable_type) VALUES (name, description, variable_type);
    INSERT INTO fraud.list_elements(list_name, element)
        SELECT DISTINCT fraud_create_list.name, e FROM unnest(elements) e;
    PERFORM fraud._set_tags('list', name, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_model(model_id text, model_type text, event_type_name text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._check_pattern('model_id', model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', model_type, fraud._model_types());
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._event_type(event_type_name);
    INSERT INTO fraud.models (model_id, model_type, event_type_name, description)
        VALUES (model_id, model_type, event_type_name, description)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate('model', model_id || '/' || model_type);
    END IF;
    PERFORM fraud._set_tags('model', model_id || '/' || model_type, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_model_version(model_id text, model_type text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb DEFAULT NULL::jsonb, ingested_events_detail jsonb DEFAULT NULL::jsonb, tags jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text)
 LANGUAGE sql
AS $function$
    SELECT * FROM fraud._create_model_version(model_id, model_type, training_data_source, training_data_schema,
                                              external_events_detail, ingested_events_detail, tags, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_rule(rule_id text, detector_id text, expression text, outcomes text[], language text DEFAULT 'DETECTORPL'::text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._check_flat('outcomes', outcomes);
    PERFORM fraud._check_identifier('rule_id', rule_id);
    PERFORM fraud._lock_detector(detector_id);
    IF EXISTS (SELECT 1 FROM fraud.rules r WHERE r.detector_id = fraud_create_rule.detector_id
               AND r.rule_id = fraud_create_rule.rule_id) THEN
        PERFORM fraud._duplicate('rule', format('%s/%s', detector_id, rule_id));
    END IF;
    INSERT INTO fraud.rules(detector_id, rule_id, last_version) VALUES (detector_id, rule_id, 1);
    RETURN fraud._write_rule_version(detector_id, rule_id, 1, expression, language, outcomes, description, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_create_variable(name text, data_type text, data_source text, default_value text, description text DEFAULT NULL::text, variable_type text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('data_type', data_type, ARRAY['STRING', 'INTEGER', 'FLOAT', 'BOOLEAN', 'DATETIME']);
    PERFORM fraud._check_enum('data_source', data_source, ARRAY['EVENT', 'MODEL_SCORE', 'EXTERNAL_MODEL_SCORE']);
    IF data_source = 'MODEL_SCORE' THEN
        PERFORM fraud._invalid('data_source', data_source,
            '(a model''s score is $<model_id>_insightscore, created with the model)');
    END IF;
    PERFORM fraud._check_default_value(data_type, default_value);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    IF EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = fraud_create_variable.name) THEN
        PERFORM fraud._duplicate('variable', name);
    END IF;
    INSERT INTO fraud.variables(name, data_type, data_source, default_value, description, variable_type)
        VALUES (name, data_type, data_source, default_value, description, variable_type);
    PERFORM fraud._set_tags('variable', name, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_aggregate_variable(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT r.detector_id || '/' || r.rule_id || '/' || r.rule_version INTO used_by
        FROM fraud.rule_versions r
        WHERE fraud_delete_aggregate_variable.name = ANY (fraud._expression_variables(r.expression))
        ORDER BY 1 LIMIT 1;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('aggregate variable %s is used by rule version %s', quote_literal(name), used_by));
    END IF;
    -- the definition and its event types go with the variable (ON DELETE CASCADE)
    DELETE FROM fraud.variables v WHERE v.name = fraud_delete_aggregate_variable.name AND v.data_source = 'AGGREGATE';
    IF NOT FOUND THEN
        RAISE NOTICE 'aggregate variable % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('variable', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_backtest_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_delete('BACKTEST', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_batch_import_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_delete('BATCH_IMPORT', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_batch_prediction_job(job_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT fraud._job_delete('BATCH_PREDICTION', job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_detector(detector_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE n_versions int; n_rules int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT count(*) INTO n_versions FROM fraud.detector_versions v WHERE v.detector_id = fraud_delete_detector.detector_id;
    SELECT count(*) INTO n_rules FROM fraud.rules r WHERE r.detector_id = fraud_delete_detector.detector_id;
    IF n_versions > 0 OR n_rules > 0 THEN
        PERFORM fraud._conflict(format('detector %s still has %s detector version(s) and %s rule(s); delete them first',
                                       quote_literal(detector_id), n_versions, n_rules));
    END IF;
    DELETE FROM fraud.detectors d WHERE d.detector_id = fraud_delete_detector.detector_id;
    IF NOT FOUND THEN
        RAISE NOTICE 'detector % does not exist, skipping', quote_literal(detector_id);
    END IF;
    PERFORM fraud._drop_tags('detector', detector_id);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_detector_version(detector_id text, detector_version_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.detector_versions;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF v.status = 'ACTIVE' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is ACTIVE; make it INACTIVE before deleting it',
                                       detector_id, detector_version_id));
    END IF;
    DELETE FROM fraud.detector_versions x WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
    PERFORM fraud._drop_tags('detector-version', format('%s/%s', v.detector_id, v.detector_version_id));
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_entity_type(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_entity_types WHERE entity_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('entity type %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    PERFORM fraud._delete_named('entity_types', 'entity type', 'entity-type', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_event(event_id text, event_type_name text, delete_audit_history boolean DEFAULT false)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._event_type(event_type_name);
    PERFORM fraud._required('delete_audit_history', delete_audit_history);
    DELETE FROM fraud.events e WHERE e.event_type_name = fraud_delete_event.event_type_name
                                 AND e.event_id = fraud_delete_event.event_id;
    IF NOT FOUND THEN
        RAISE NOTICE 'event %/% does not exist, skipping', event_type_name, event_id;
    END IF;
    IF delete_audit_history THEN
        DELETE FROM fraud.event_predictions p WHERE p.event_type_name = fraud_delete_event.event_type_name
                                                AND p.event_id = fraud_delete_event.event_id;
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_event_type(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(detector_id ORDER BY detector_id) INTO used_by
        FROM fraud.detectors WHERE event_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('event type %s is used by %s', quote_literal(name), fraud._some_names('detector', used_by)));
    END IF;
    SELECT array_agg(aggregate_name ORDER BY aggregate_name) INTO used_by
        FROM fraud.aggregate_variable_event_types WHERE event_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('event type %s is read by %s', quote_literal(name), fraud._some_names('aggregate variable', used_by)));
    END IF;
    PERFORM fraud._delete_named('event_types', 'event type', 'event-type', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_events_by_event_type(event_type_name text)
 RETURNS TABLE(event_type_name text, events_deletion_status text)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._delete_events_by_event_type(event_type_name, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_external_model(model_endpoint text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE users text[];
BEGIN
    PERFORM fraud._check_pattern('model_endpoint', model_endpoint, '^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$', 1, 127);
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id) INTO users
        FROM fraud.detector_versions v WHERE fraud_delete_external_model.model_endpoint = ANY (v.external_model_endpoints);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('external model %s is used by %s', quote_literal(model_endpoint),
                                       fraud._some_names('detector version', users)));
    END IF;
    DELETE FROM fraud.external_models x WHERE x.model_endpoint = fraud_delete_external_model.model_endpoint;
    IF NOT FOUND THEN
        RAISE NOTICE 'external model % does not exist, skipping', quote_literal(model_endpoint);
    END IF;
    PERFORM fraud._drop_tags('external-model', model_endpoint);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_label(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_labels WHERE label_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('label %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.events e WHERE e.event_label = name) THEN
        PERFORM fraud._conflict(format('label %s is the label of stored events', quote_literal(name)));
    END IF;
    PERFORM fraud._delete_named('labels', 'label', 'label', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_list(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    SELECT array_agg(format('%s/%s/%s', u.detector_id, u.rule_id, u.rule_version) ORDER BY u.detector_id, u.rule_id, u.rule_version)
        INTO used_by
        FROM (SELECT DISTINCT l.detector_id, l.rule_id, l.rule_version FROM fraud.rule_version_lists l
              WHERE l.list_name = name) u;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('list %s is used by %s', quote_literal(name), fraud._some_names('rule version', used_by)));
    END IF;
    DELETE FROM fraud.lists l WHERE l.name = fraud_delete_list.name;
    IF NOT FOUND THEN
        RAISE NOTICE 'list % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('list', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_model(model_id text, model_type text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE users text[];
BEGIN
    PERFORM fraud._check_pattern('model_id', model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', model_type, fraud._model_types());
    IF NOT EXISTS (SELECT 1 FROM fraud.models m WHERE m.model_id = fraud_delete_model.model_id
                                                  AND m.model_type = fraud_delete_model.model_type) THEN
        RAISE NOTICE 'model %/% does not exist, skipping', model_id, model_type;
        RETURN;
    END IF;
    PERFORM fraud._model(model_id, model_type, true);
    users := fraud._model_version_users(model_id, model_type, NULL, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('model %s/%s is used by %s', model_id, model_type, fraud._some_names('detector version', users)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.model_versions v WHERE v.model_id = fraud_delete_model.model_id
               AND v.model_type = fraud_delete_model.model_type AND v.status = 'TRAINING_IN_PROGRESS') THEN
        PERFORM fraud._conflict(format('model %s/%s has a version in training; cancel it first (fraud_update_model_version_status ... TRAINING_CANCELLED)', model_id, model_type));
    END IF;
    DELETE FROM fraud.tags t WHERE t.resource_type = 'model-version'
        AND t.resource_id LIKE replace(replace(model_id, '_', '\_'), '%', '\%') || '/' || model_type || '/%';
    DELETE FROM fraud.model_versions v WHERE v.model_id = fraud_delete_model.model_id AND v.model_type = fraud_delete_model.model_type;
    DELETE FROM fraud.models m WHERE m.model_id = fraud_delete_model.model_id AND m.model_type = fraud_delete_model.model_type;
    PERFORM fraud._drop_tags('model', model_id || '/' || model_type);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_model_version(model_id text, model_type text, model_version_number text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.model_versions; users text[];
BEGIN
    PERFORM fraud._check_pattern('model_version_number', model_version_number, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    IF NOT EXISTS (SELECT 1 FROM fraud.model_versions x WHERE x.model_id = fraud_delete_model_version.model_id
                   AND x.model_type = fraud_delete_model_version.model_type
                   AND x.model_version_number = fraud_delete_model_version.model_version_number) THEN
        RAISE NOTICE 'model version %/%/% does not exist, skipping', model_id, model_type, model_version_number;
        RETURN;
    END IF;
    v := fraud._model_version(model_id, model_type, model_version_number);
    users := fraud._model_version_users(v.model_id, v.model_type, v.model_version_number, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is used by %s', v.model_id, v.model_type,
                                       v.model_version_number, fraud._some_names('detector version', users)));
    END IF;
    IF v.status = 'TRAINING_IN_PROGRESS' THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is training; cancel it first', v.model_id, v.model_type, v.model_version_number));
    END IF;
    DELETE FROM fraud.model_versions x WHERE x.model_id = v.model_id AND x.model_type = v.model_type
                                        AND x.model_version_number = v.model_version_number;
    PERFORM fraud._drop_tags('model-version', format('%s/%s/%s', v.model_id, v.model_type, v.model_version_number));
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_outcome(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(format('%s/%s/%s', u.detector_id, u.rule_id, u.rule_version) ORDER BY u.detector_id, u.rule_id, u.rule_version)
        INTO used_by
        FROM (SELECT DISTINCT o.detector_id, o.rule_id, o.rule_version FROM fraud.rule_version_outcomes o
              WHERE o.outcome_name = name) u;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('outcome %s is used by %s', quote_literal(name), fraud._some_names('rule version', used_by)));
    END IF;
    PERFORM fraud._delete_named('outcomes', 'outcome', 'outcome', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_rule(rule jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE ref record; used_by text[]; drafts text[];
BEGIN
    ref := fraud._rule_ref('rule', rule);
    SELECT array_agg(format('%s (%s)', v.detector_version_id, v.status) ORDER BY v.detector_version_id) INTO used_by
        FROM fraud.detector_version_rules u JOIN fraud.detector_versions v USING (detector_id, detector_version_id)
        WHERE u.detector_id = ref.detector_id AND u.rule_id = ref.rule_id AND u.rule_version = ref.rule_version
          AND v.status <> 'DRAFT';
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('rule version %s/%s/%s is used by %s',
                                       ref.detector_id, ref.rule_id, ref.rule_version, fraud._some_names('detector version', used_by)));
    END IF;
    WITH gone AS (
        DELETE FROM fraud.detector_version_rules u
        WHERE u.detector_id = ref.detector_id AND u.rule_id = ref.rule_id AND u.rule_version = ref.rule_version
        RETURNING u.detector_version_id)
    SELECT array_agg(detector_version_id::text ORDER BY detector_version_id) INTO drafts FROM gone;
    IF drafts IS NOT NULL THEN
        RAISE NOTICE 'rule version %/%/% removed from %', ref.detector_id, ref.rule_id, ref.rule_version,
            fraud._some_names('DRAFT detector version', drafts);
    END IF;
    DELETE FROM fraud.rule_versions r
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id AND r.rule_version = ref.rule_version;
    IF NOT FOUND THEN
        RAISE NOTICE 'rule version %/%/% does not exist, skipping', ref.detector_id, ref.rule_id, ref.rule_version;
    END IF;
    PERFORM fraud._drop_tags('rule', format('%s/%s/%s', ref.detector_id, ref.rule_id, ref.rule_version));
    DELETE FROM fraud.rules r WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id
        AND NOT EXISTS (SELECT 1 FROM fraud.rule_versions x WHERE x.detector_id = r.detector_id AND x.rule_id = r.rule_id);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_delete_variable(name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE used_by text[]; src text;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_variables WHERE variable_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('variable %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    SELECT data_source INTO src FROM fraud.variables v WHERE v.name = fraud_delete_variable.name;
    IF src = 'AGGREGATE' THEN
        PERFORM fraud._conflict(format('variable %s is an aggregate variable; delete it with fraud_delete_aggregate_variable', quote_literal(name)));
    ELSIF src = 'EXTERNAL_MODEL_SCORE' THEN
        SELECT array_agg(x.model_endpoint ORDER BY x.model_endpoint) INTO used_by FROM fraud.external_models x
            WHERE EXISTS (SELECT 1 FROM jsonb_each_text(x.output_configuration->'jsonKeyToVariableMap') k
                          WHERE k.value = fraud_delete_variable.name);
        IF used_by IS NOT NULL THEN
            PERFORM fraud._conflict(format('variable %s is an output of %s', quote_literal(name), fraud._some_names('external model', used_by)));
        END IF;
    ELSIF src IS NOT NULL AND src <> 'EVENT' THEN
        PERFORM fraud._conflict(format('variable %s is a %s variable; it is deleted with its model', quote_literal(name), src));
    END IF;
    DELETE FROM fraud.variables v WHERE v.name = fraud_delete_variable.name;
    IF NOT FOUND THEN
        RAISE NOTICE 'variable % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('variable', name);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_describe_detector(detector_id text)
 RETURNS TABLE(detector_id text, detector_version_id text, status text, description text, last_updated_time timestamp with time zone, arn text, shadow boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._describe_detector(detector_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_describe_model_versions(model_id text DEFAULT NULL::text, model_version_number text DEFAULT NULL::text, model_type text DEFAULT NULL::text)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._describe_model_versions(model_id, model_version_number, model_type) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_aggregate_variables(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, data_type text, event_types text[], function text, variable text, entity_type text, group_by_variable text, time_window interval, filter text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_aggregate_variables(name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_backtest_jobs(job_id text DEFAULT NULL::text)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, detector_id text, detector_version_id text, baseline_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, output_path text, processed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._get_backtest_jobs(job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_batch_import_job_errors(job_id text)
 RETURNS TABLE(row_number bigint, event_id text, reason text)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._get_batch_import_job_errors(job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_batch_import_jobs(job_id text DEFAULT NULL::text)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, last_heartbeat_time timestamp with time zone, input_path text, event_type_name text, arn text, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._get_batch_import_jobs(job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_batch_prediction_jobs(job_id text DEFAULT NULL::text)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, last_heartbeat_time timestamp with time zone, input_path text, output_path text, event_type_name text, detector_name text, detector_version text, arn text, processed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._get_batch_prediction_jobs(job_id, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_delete_events_by_event_type_status(event_type_name text)
 RETURNS TABLE(event_type_name text, events_deletion_status text)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_delete_events_by_event_type_status(event_type_name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_detector_version(detector_id text, detector_version_id text)
 RETURNS TABLE(detector_id text, detector_version_id text, description text, external_model_endpoints text[], model_versions jsonb, rules jsonb, status text, last_updated_time timestamp with time zone, created_time timestamp with time zone, rule_execution_mode text, arn text, shadow boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_detector_version(detector_id, detector_version_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_detectors(detector_id text DEFAULT NULL::text)
 RETURNS TABLE(detector_id text, description text, event_type_name text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_detectors(detector_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_entity_types(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._get_named('entity_types', 'entity type', 'entity-type', name)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event(event_id text, event_type_name text)
 RETURNS TABLE(event_id text, event_type_name text, event_timestamp timestamp with time zone, event_variables jsonb, current_label text, label_timestamp timestamp with time zone, entities jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_event(event_id, event_type_name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event_prediction(detector_id text, event_id text, event_type_name text, entities jsonb, event_timestamp text, event_variables jsonb, detector_version_id text DEFAULT NULL::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    d fraud.detectors; t fraud.event_types; ts timestamptz; vars jsonb; ents jsonb;
    ev jsonb; result jsonb; meta jsonb; scored fraud.scored; recorded fraud.event_predictions;
    shadow_version int; shadow_scored fraud.scored;
BEGIN
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = fraud_get_event_prediction.detector_id;
    IF NOT FOUND THEN
        PERFORM fraud._check_identifier('detector_id', detector_id);
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    PERFORM fraud._check_identifier('event_id', event_id);
    t := fraud._event_type(event_type_name);
    IF d.event_type_name <> t.name THEN
        PERFORM fraud._invalid('event_type_name', event_type_name,
                               format('(detector %s scores events of type %s)', quote_literal(d.detector_id), quote_literal(d.event_type_name)));
    END IF;
    ts := fraud._timestamp('event_timestamp', event_timestamp);
    vars := fraud._checked_variables(t.name, event_variables);
    ents := fraud._checked_entities(t.name, entities);
    ev := jsonb_build_object('eventId', event_id, 'eventTypeName', t.name, 'eventTimestamp', event_timestamp,
                             'entities', ents, 'eventVariables', vars);
    -- one scoring gives the prediction and its explanation (GetEventPredictionMetadata)
    scored := fraud._score(d.detector_id, ev, detector_version_id, true);
    result := scored.prediction;
    meta := scored.metadata;
    -- the transaction takes its id before the prediction takes its prediction_id: the outbox
    -- reading of docs/sql-reference.md ("Prediction notifications") waits for the transactions
    -- a snapshot shows running, and a prediction_id must not belong to one that had no id yet
    PERFORM pg_current_xact_id();
    INSERT INTO fraud.event_predictions (detector_id, detector_version_id, event_type_name, event_id, event_timestamp,
                                         prediction_timestamp, entities, result, metadata)
        VALUES (d.detector_id, (meta->>'detectorVersionId')::int, t.name, event_id, ts,
                date_trunc('milliseconds', clock_timestamp()), ents, result, meta)
        RETURNING * INTO recorded;
    -- delivered when (and if) the transaction commits, in commit order; the prediction_id in
    -- the payload keeps two predictions of one transaction from being merged into one
    IF t.event_orchestration @> '{"eventBridgeEnabled": true}' THEN
        PERFORM pg_notify('fraud_detector_predictions', fraud._prediction_notification(recorded));
    END IF;
    -- Shadow versions, only next to the ACTIVE version (a caller naming a version asked for that
    -- one): the same event, recorded with shadow = true and the caller's prediction_timestamp,
    -- never returned nor notified. One catalog read when the detector has none. A shadow that
    -- cannot score (a catalog written around the API, a version deleted meanwhile) records
    -- nothing and never fails the caller's prediction: its subtransaction is rolled back and
    -- the server log says why (LOG: not sent to the client at the default client_min_messages).
    IF detector_version_id IS NULL THEN
        FOR shadow_version IN SELECT x.detector_version_id FROM fraud.detector_versions x
                              WHERE x.detector_id = d.detector_id AND x.shadow ORDER BY x.detector_version_id LOOP
            BEGIN
                shadow_scored := fraud._score(d.detector_id, ev, shadow_version::text, true);
                INSERT INTO fraud.event_predictions (detector_id, detector_version_id, event_type_name, event_id,
                                                     event_timestamp, prediction_timestamp, entities, result, metadata, shadow)
                    VALUES (d.detector_id, shadow_version, t.name, event_id, ts, recorded.prediction_timestamp, ents,
                            shadow_scored.prediction, shadow_scored.metadata, true);
            EXCEPTION WHEN OTHERS THEN
                RAISE LOG 'fraud_get_event_prediction: shadow detector version %/% not scored: % (SQLSTATE %)',
                          d.detector_id, shadow_version, SQLERRM, SQLSTATE;
            END;
        END LOOP;
    END IF;
    -- stored last: no scoring of this call (the shadows' included) may count the event itself in
    -- its aggregate variables (docs/velocity-and-backtesting.md). EXCLUDED.ingested_time is the
    -- column's default, now(): Citus takes no function in DO UPDATE SET (docs/scale-out.md).
    IF t.event_ingestion = 'ENABLED' THEN
        INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables)
            VALUES (t.name, event_id, ts, ents, vars)
            ON CONFLICT ON CONSTRAINT events_pkey DO UPDATE SET
                event_timestamp = EXCLUDED.event_timestamp, entities = EXCLUDED.entities,
                event_variables = EXCLUDED.event_variables, ingested_time = EXCLUDED.ingested_time;
    END IF;
    RETURN result;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event_prediction_metadata(event_id text, event_type_name text, detector_id text, detector_version_id text, prediction_timestamp text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE p fraud.event_predictions; at timestamptz;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._check_identifier('event_type_name', event_type_name);
    PERFORM fraud._check_identifier('detector_id', detector_id);
    PERFORM fraud._version_number('detector_version_id', detector_version_id);
    at := fraud._prediction_timestamp('prediction_timestamp', prediction_timestamp);
    SELECT * INTO p FROM fraud.event_predictions x
        WHERE x.event_type_name = fraud_get_event_prediction_metadata.event_type_name
          AND x.event_id = fraud_get_event_prediction_metadata.event_id
          AND x.detector_id = fraud_get_event_prediction_metadata.detector_id
          AND x.detector_version_id = fraud_get_event_prediction_metadata.detector_version_id::int
          AND x.prediction_timestamp = at
          AND NOT x.shadow
        ORDER BY x.prediction_id DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('prediction', format('%s/%s by %s/%s at %s', event_type_name, event_id,
                                                      detector_id, detector_version_id, prediction_timestamp));
    END IF;
    RETURN p.metadata || jsonb_build_object(
        'eventId', p.event_id, 'eventTypeName', p.event_type_name,
        'entityId', p.entities->0->>'entityId', 'entityType', p.entities->0->>'entityType',
        'eventTimestamp', to_char(p.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'predictionTimestamp', to_char(p.prediction_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event_types(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, description text, event_variables text[], labels text[], entity_types text[], event_ingestion text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text, event_orchestration jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_event_types(name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_external_models(model_endpoint text DEFAULT NULL::text)
 RETURNS TABLE(model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, function regprocedure, input_configuration jsonb, output_configuration jsonb, model_endpoint_status text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_external_models(model_endpoint) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_labels(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._get_named('labels', 'label', 'label', name)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_list_elements(name text)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_list_elements(name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_lists_metadata(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, description text, variable_type text, created_time timestamp with time zone, updated_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_lists_metadata(name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_model_version(model_id text, model_type text, model_version_number text)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, status text, arn text)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_model_version(model_id, model_type, model_version_number) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_models(model_id text DEFAULT NULL::text, model_type text DEFAULT NULL::text)
 RETURNS TABLE(model_id text, model_type text, description text, event_type_name text, created_time timestamp with time zone, last_updated_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_models(model_id, model_type) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_outcomes(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._get_named('outcomes', 'outcome', 'outcome', name)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_rules(detector_id text, rule_id text DEFAULT NULL::text, rule_version text DEFAULT NULL::text)
 RETURNS TABLE(rule_id text, description text, detector_id text, rule_version text, expression text, language text, outcomes text[], last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_rules(detector_id, rule_id, rule_version) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_variables(name text DEFAULT NULL::text)
 RETURNS TABLE(name text, data_type text, data_source text, default_value text, description text, variable_type text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._get_variables(name) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_grant(capability text, role_name regrole)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE f regprocedure;
BEGIN
    PERFORM fraud._check_role(role_name);
    FOR f IN SELECT * FROM fraud._capability_functions(capability) LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, role_name);
    END LOOP;
    IF capability IN ('jobs', 'voice_management', 'managing') THEN
        -- the public wrappers call fraud._caller_token(); a job's owner fills its staging table
        EXECUTE format('GRANT USAGE ON SCHEMA fraud TO %s', role_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_list_event_predictions(event_id jsonb DEFAULT NULL::jsonb, event_type jsonb DEFAULT NULL::jsonb, detector_id jsonb DEFAULT NULL::jsonb, detector_version_id jsonb DEFAULT NULL::jsonb, prediction_time_range jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(event_id text, event_type_name text, event_timestamp timestamp with time zone, prediction_timestamp timestamp with time zone, detector_id text, detector_version_id text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._list_event_predictions(event_id, event_type, detector_id, detector_version_id, prediction_time_range)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_list_tags_for_resource(resource_arn text)
 RETURNS TABLE(key text, value text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._list_tags_for_resource(resource_arn) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_detector(detector_id text, event_type_name text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE current_type text;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    PERFORM fraud._check_identifier('event_type_name', event_type_name);
    PERFORM fraud._check_description('description', description);
    IF NOT EXISTS (SELECT 1 FROM fraud.event_types WHERE name = event_type_name) THEN
        PERFORM fraud._not_found('event type', event_type_name);
    END IF;
    SELECT d.event_type_name INTO current_type FROM fraud.detectors d
        WHERE d.detector_id = fraud_put_detector.detector_id FOR UPDATE;
    -- rules are written against the event type's variables: changing it would orphan them
    IF current_type IS DISTINCT FROM event_type_name AND (
        EXISTS (SELECT 1 FROM fraud.rules r WHERE r.detector_id = fraud_put_detector.detector_id) OR
        EXISTS (SELECT 1 FROM fraud.detector_versions v WHERE v.detector_id = fraud_put_detector.detector_id)) THEN
        PERFORM fraud._conflict(format('detector %s has rules or versions for event type %s; its event type cannot change to %s',
                                       quote_literal(detector_id), current_type, event_type_name));
    END IF;
    INSERT INTO fraud.detectors AS d (detector_id, description, event_type_name)
        VALUES (detector_id, description, event_type_name)
        ON CONFLICT ON CONSTRAINT detectors_pkey DO UPDATE SET
            description = EXCLUDED.description, event_type_name = EXCLUDED.event_type_name,
            last_updated_time = now();
    PERFORM fraud._set_tags('detector', detector_id, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_entity_type(name text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT fraud._put_named('entity_types', 'entity type', 'entity-type', name, description, tags)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_event_type(name text, event_variables text[], entity_types text[], description text DEFAULT NULL::text, labels text[] DEFAULT NULL::text[], event_ingestion text DEFAULT 'ENABLED'::text, tags jsonb DEFAULT NULL::jsonb, event_orchestration jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE not_event text; r record; msg text;
BEGIN
    PERFORM fraud._check_flat('event_variables', event_variables);
    PERFORM fraud._check_flat('entity_types', entity_types);
    PERFORM fraud._check_flat('labels', labels);
    PERFORM fraud._check_identifier('name', name);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_names('event_variables', event_variables, 1);
    PERFORM fraud._check_names('entity_types', entity_types, 1);
    PERFORM fraud._check_names('labels', labels, 0);
    PERFORM fraud._check_enum('event_ingestion', event_ingestion, ARRAY['ENABLED', 'DISABLED']);
    IF event_orchestration IS NOT NULL AND (jsonb_typeof(event_orchestration) <> 'object'
        OR jsonb_typeof(event_orchestration->'eventBridgeEnabled') IS DISTINCT FROM 'boolean') THEN
        PERFORM fraud._invalid('event_orchestration', event_orchestration::text, '(must be {"eventBridgeEnabled": boolean})');
    END IF;
    PERFORM fraud._check_exist('variable', 'variables', event_variables);
    PERFORM fraud._check_exist('entity type', 'entity_types', entity_types);
    PERFORM fraud._check_exist('label', 'labels', coalesce(labels, '{}'));
    SELECT v.name INTO not_event FROM fraud.variables v
        WHERE v.name = ANY (event_variables) AND v.data_source <> 'EVENT' LIMIT 1;
    IF not_event IS NOT NULL THEN
        PERFORM fraud._invalid('event_variables', not_event, '(only variables with data_source EVENT belong to an event type)');
    END IF;

    INSERT INTO fraud.event_types AS t (name, description, event_ingestion, event_orchestration)
        VALUES (name, description, event_ingestion, event_orchestration)
        ON CONFLICT ON CONSTRAINT event_types_pkey DO UPDATE SET
            description = EXCLUDED.description, event_ingestion = EXCLUDED.event_ingestion,
            event_orchestration = EXCLUDED.event_orchestration, last_updated_time = now();
    DELETE FROM fraud.event_type_variables WHERE event_type_name = fraud_put_event_type.name;
    DELETE FROM fraud.event_type_entity_types WHERE event_type_name = fraud_put_event_type.name;
    DELETE FROM fraud.event_type_labels WHERE event_type_name = fraud_put_event_type.name;
    INSERT INTO fraud.event_type_variables SELECT fraud_put_event_type.name, n, i FROM unnest(event_variables) WITH ORDINALITY u(n, i);
    INSERT INTO fraud.event_type_entity_types SELECT fraud_put_event_type.name, n, i FROM unnest(entity_types) WITH ORDINALITY u(n, i);
    INSERT INTO fraud.event_type_labels SELECT fraud_put_event_type.name, n, i FROM unnest(labels) WITH ORDINALITY u(n, i);
    -- the rules of detectors of this event type must still type check (e.g. a removed variable)
    FOR r IN SELECT rv.detector_id, rv.rule_id, rv.rule_version, rv.expression
             FROM fraud.rule_versions rv JOIN fraud.detectors d USING (detector_id)
             WHERE d.event_type_name = fraud_put_event_type.name
             ORDER BY 1, 2, 3 LOOP
        BEGIN
            PERFORM fraud._check_rule_expression(r.detector_id, r.expression);
        EXCEPTION WHEN invalid_parameter_value OR syntax_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._conflict(format('event type %s is used by rule version %s/%s/%s, which would no longer be valid: %s',
                                           quote_literal(name), r.detector_id, r.rule_id, r.rule_version, msg));
        END;
    END LOOP;
    -- so must the aggregate variables that read its events (docs/velocity-and-backtesting.md):
    -- their key, the variable they aggregate and their filter
    FOR r IN SELECT a.name, a.entity_type, a.group_by_variable, a.variable
             FROM fraud.aggregate_variables a JOIN fraud.aggregate_variable_event_types t ON t.aggregate_name = a.name
             WHERE t.event_type_name = fraud_put_event_type.name ORDER BY a.name LOOP
        BEGIN
            IF r.entity_type IS NOT NULL AND NOT r.entity_type = ANY (entity_types) THEN
                PERFORM fraud._invalid('entity_types', entity_types::text, format('(without %s)', quote_literal(r.entity_type)));
            END IF;
            IF (r.group_by_variable IS NOT NULL AND NOT r.group_by_variable = ANY (event_variables))
               OR (r.variable IS NOT NULL AND NOT r.variable = ANY (event_variables)) THEN
                PERFORM fraud._invalid('event_variables', event_variables::text,
                                       format('(without %s)', quote_literal(coalesce(r.variable, r.group_by_variable))));
            END IF;
            PERFORM fraud._check_aggregate_variable(r.name);
        EXCEPTION WHEN invalid_parameter_value OR syntax_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._conflict(format('event type %s is read by aggregate variable %s, which would no longer be valid: %s',
                                           quote_literal(name), r.name, msg));
        END;
    END LOOP;
    PERFORM fraud._set_tags('event-type', name, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_external_model(model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, input_configuration jsonb, output_configuration jsonb, model_endpoint_status text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
    SELECT fraud._put_external_model(model_endpoint, model_source, invoke_model_endpoint_role_arn, input_configuration,
                                     output_configuration, model_endpoint_status, tags, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_label(name text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT fraud._put_named('labels', 'label', 'label', name, description, tags)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_put_outcome(name text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT fraud._put_named('outcomes', 'outcome', 'outcome', name, description, tags)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_rebuild_event_keys()
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    LOCK TABLE fraud.events IN SHARE MODE;
    DELETE FROM fraud.event_keys;
    DELETE FROM fraud.event_key_specs;
    PERFORM fraud._sync_event_keys_now();
    RETURN (SELECT count(*) FROM fraud.event_keys);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_revoke(capability text, role_name regrole)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE f regprocedure; sharing text[] := ARRAY['jobs', 'voice_management', 'managing']; keep boolean;
BEGIN
    PERFORM fraud._check_role(role_name);
    -- jobs, voice_management and managing share fraud._caller_token() and schema USAGE
    keep := capability = ANY (sharing)
            AND EXISTS (SELECT 1 FROM unnest(sharing) o WHERE o <> capability AND fraud._holds(role_name, o));
    FOR f IN SELECT * FROM fraud._capability_functions(capability) LOOP
        IF NOT (keep AND f = 'fraud._caller_token()'::regprocedure) THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %s', f, role_name);
        END IF;
    END LOOP;
    IF capability = ANY (sharing) AND NOT keep THEN
        EXECUTE format('REVOKE USAGE ON SCHEMA fraud FROM %s', role_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_rule_stats(detector_id text, "from" timestamp with time zone, "to" timestamp with time zone, fraud_labels text[] DEFAULT '{fraud}'::text[])
 RETURNS TABLE(detector_version_id text, shadow boolean, rule_id text, rule_version text, predictions bigint, evaluated bigint, matched bigint, labeled_matched bigint, matched_fraud bigint, "precision" double precision)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._rule_stats(detector_id, "from", "to", fraud_labels) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_send_event(event_id text, event_type_name text, event_timestamp text, event_variables jsonb, entities jsonb, assigned_label text DEFAULT NULL::text, label_timestamp text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE t fraud.event_types; ts timestamptz; lts timestamptz; vars jsonb; ents jsonb;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    t := fraud._event_type(event_type_name);
    ts := fraud._timestamp('event_timestamp', event_timestamp);
    vars := fraud._checked_variables(t.name, event_variables);
    ents := fraud._checked_entities(t.name, entities);
    IF assigned_label IS NOT NULL OR label_timestamp IS NOT NULL THEN
        PERFORM fraud._check_event_label(t.name, assigned_label);
        lts := fraud._timestamp('label_timestamp', label_timestamp);
    END IF;
    IF t.event_ingestion <> 'ENABLED' THEN
        PERFORM fraud._conflict(format('event ingestion is DISABLED for event type %s', quote_literal(t.name)));
    END IF;
    INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
        VALUES (t.name, event_id, ts, ents, vars, assigned_label, lts)
        ON CONFLICT ON CONSTRAINT events_pkey DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate('event', t.name || '/' || event_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_tag_resource(resource_arn text, tags jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    PERFORM fraud._required('tags', tags);
    PERFORM fraud._set_tags(r.resource_type, r.resource_id, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_untag_resource(resource_arn text, tag_keys text[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    PERFORM fraud._required('tag_keys', tag_keys);
    IF cardinality(tag_keys) > 50 THEN
        PERFORM fraud._invalid('tag_keys', tag_keys::text, '(at most 50 keys)');
    END IF;
    DELETE FROM fraud.tags t WHERE t.resource_type = r.resource_type AND t.resource_id = r.resource_id
        AND t.key = ANY (tag_keys);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_detector_version(detector_id text, detector_version_id text, external_model_endpoints text[] DEFAULT '{}'::text[], rules jsonb DEFAULT NULL::jsonb, description text DEFAULT NULL::text, model_versions jsonb DEFAULT NULL::jsonb, rule_execution_mode text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.detector_versions; endpoints text[]; models jsonb;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF v.status <> 'DRAFT' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is %s; only a DRAFT version can be updated',
                                       detector_id, detector_version_id, v.status));
    END IF;
    PERFORM fraud._required('external_model_endpoints', external_model_endpoints);
    PERFORM fraud._required('rules', rules);
    PERFORM fraud._check_description('description', description);
    IF rule_execution_mode IS NOT NULL THEN
        PERFORM fraud._check_enum('rule_execution_mode', rule_execution_mode, ARRAY['ALL_MATCHED', 'FIRST_MATCHED']);
    END IF;
    endpoints := fraud._external_model_endpoints_arg(external_model_endpoints,
        (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
    IF model_versions IS NOT NULL THEN
        models := fraud._model_versions_arg(model_versions,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
    END IF;
    PERFORM fraud._write_version_rules(v.detector_id, v.detector_version_id, rules);
    UPDATE fraud.detector_versions x SET
        external_model_endpoints = endpoints,
        description = coalesce(fraud_update_detector_version.description, x.description),
        model_versions = coalesce(models, x.model_versions),
        rule_execution_mode = coalesce(fraud_update_detector_version.rule_execution_mode, x.rule_execution_mode),
        last_updated_time = now()
    WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
    PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_detector_version_metadata(detector_id text, detector_version_id text, description text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.detector_versions;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    PERFORM fraud._required('description', description);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.detector_versions x SET description = fraud_update_detector_version_metadata.description, last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_detector_version_shadow(detector_id text, detector_version_id text, shadow boolean)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.detector_versions;
BEGIN
    -- lock the detector first, as activation does: the two serialise
    PERFORM fraud._lock_detector(detector_id);
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    PERFORM fraud._required('shadow', shadow);
    IF v.status = 'ACTIVE' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is ACTIVE; only a DRAFT or INACTIVE version can be a shadow',
                                       detector_id, detector_version_id));
    END IF;
    IF shadow THEN
        IF NOT EXISTS (SELECT 1 FROM fraud.detector_version_rules r
                       WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id)
           AND jsonb_array_length(v.model_versions) = 0 THEN
            PERFORM fraud._invalid('detector_version_id', detector_version_id, '(a detector version needs at least one rule or model version to be a shadow)');
        END IF;
        PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
    END IF;
    UPDATE fraud.detector_versions x SET shadow = fraud_update_detector_version_shadow.shadow, last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_detector_version_status(detector_id text, detector_version_id text, status text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.detector_versions;
BEGIN
    PERFORM fraud._check_enum('status', status, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    -- lock the detector first: concurrent activations of two versions serialise here
    PERFORM fraud._lock_detector(detector_id);
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF NOT ((v.status = 'DRAFT' AND status = 'ACTIVE') OR (v.status = 'ACTIVE' AND status = 'INACTIVE')
            OR (v.status = 'INACTIVE' AND status = 'ACTIVE')) THEN
        PERFORM fraud._conflict(format('detector version %s/%s is %s and cannot become %s (allowed: DRAFT to ACTIVE, ACTIVE to INACTIVE, INACTIVE to ACTIVE)',
                                       detector_id, detector_version_id, v.status, status));
    END IF;
    IF status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM fraud.detector_version_rules r
            WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id)
       AND jsonb_array_length(v.model_versions) = 0 THEN
        PERFORM fraud._invalid('detector_version_id', detector_version_id, '(a detector version needs at least one rule or model version to be ACTIVE)');
    END IF;
    IF status = 'ACTIVE' THEN
        -- what goes live scores with ACTIVE model versions and ASSOCIATED external models only
        PERFORM fraud._model_versions_arg(v.model_versions,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
        PERFORM fraud._external_model_endpoints_arg(v.external_model_endpoints,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
        -- what goes live must compile against the catalog as it is now
        PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
        UPDATE fraud.detector_versions x SET status = 'INACTIVE', last_updated_time = now()
            WHERE x.detector_id = v.detector_id AND x.status = 'ACTIVE';
    END IF;
    -- an ACTIVE version is never a shadow: going live ends the shadowing
    UPDATE fraud.detector_versions x SET status = fraud_update_detector_version_status.status,
                                         shadow = x.shadow AND fraud_update_detector_version_status.status <> 'ACTIVE',
                                         last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_event_label(event_id text, event_type_name text, assigned_label text, label_timestamp text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE lts timestamptz;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._event_type(event_type_name);
    PERFORM fraud._check_event_label(event_type_name, assigned_label);
    lts := fraud._timestamp('label_timestamp', label_timestamp);
    UPDATE fraud.events e SET event_label = assigned_label, label_timestamp = lts
        WHERE e.event_type_name = fraud_update_event_label.event_type_name AND e.event_id = fraud_update_event_label.event_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('event', event_type_name || '/' || event_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_list(name text, elements text[] DEFAULT NULL::text[], description text DEFAULT NULL::text, update_mode text DEFAULT 'REPLACE'::text, variable_type text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE l fraud.lists;
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_enum('update_mode', update_mode, ARRAY['REPLACE', 'APPEND', 'REMOVE']);
    PERFORM fraud._check_list_elements(elements);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    SELECT * INTO l FROM fraud.lists x WHERE x.name = fraud_update_list.name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('list', name);
    END IF;
    IF variable_type IS NOT NULL AND l.variable_type IS NOT NULL AND variable_type <> l.variable_type THEN
        PERFORM fraud._conflict(format('list %s already has variable_type %s; it cannot be changed to %s',
                                       quote_literal(name), l.variable_type, variable_type));
    END IF;
    IF elements IS NOT NULL THEN
        CASE update_mode
        WHEN 'REPLACE' THEN
            DELETE FROM fraud.list_elements WHERE list_name = fraud_update_list.name;
            INSERT INTO fraud.list_elements(list_name, element)
                SELECT DISTINCT fraud_update_list.name, e FROM unnest(elements) e;
        WHEN 'APPEND' THEN
            INSERT INTO fraud.list_elements(list_name, element)
                SELECT DISTINCT fraud_update_list.name, e FROM unnest(elements) e
                ON CONFLICT DO NOTHING;
            PERFORM fraud._check_list_size(name);
        WHEN 'REMOVE' THEN
            DELETE FROM fraud.list_elements WHERE list_name = fraud_update_list.name AND element = ANY (elements);
        END CASE;
    END IF;
    UPDATE fraud.lists x SET
        description = coalesce(fraud_update_list.description, x.description),
        variable_type = coalesce(fraud_update_list.variable_type, x.variable_type),
        updated_time = now()
    WHERE x.name = fraud_update_list.name;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_model(model_id text, model_type text, description text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._model(model_id, model_type, true);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.models m SET description = fraud_update_model.description, last_updated_time = now()
        WHERE m.model_id = fraud_update_model.model_id AND m.model_type = fraud_update_model.model_type;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_model_version(model_id text, model_type text, major_version_number text, external_events_detail jsonb DEFAULT NULL::jsonb, ingested_events_detail jsonb DEFAULT NULL::jsonb, tags jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text)
 LANGUAGE sql
AS $function$
    SELECT * FROM fraud._update_model_version(model_id, model_type, major_version_number, external_events_detail,
                                              ingested_events_detail, tags, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_model_version_status(model_id text, model_type text, model_version_number text, status text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.model_versions := fraud._model_version(model_id, model_type, model_version_number); users text[];
        j fraud.jobs;
BEGIN
    PERFORM fraud._check_enum('status', status, ARRAY['ACTIVE', 'INACTIVE', 'TRAINING_CANCELLED']);
    IF v.status = status THEN
        RETURN;
    END IF;
    IF (status = 'ACTIVE' AND v.status NOT IN ('TRAINING_COMPLETE', 'INACTIVE'))
       OR (status = 'INACTIVE' AND v.status NOT IN ('ACTIVE', 'TRAINING_COMPLETE'))
       OR (status = 'TRAINING_CANCELLED' AND v.status <> 'TRAINING_IN_PROGRESS') THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is %s; it cannot become %s', v.model_id, v.model_type,
                                       v.model_version_number, v.status, status));
    END IF;
    IF status = 'INACTIVE' THEN
        users := fraud._model_version_users(v.model_id, v.model_type, v.model_version_number, ARRAY['ACTIVE']);
        IF users IS NOT NULL THEN
            PERFORM fraud._conflict(format('model version %s/%s/%s is used by ACTIVE %s', v.model_id, v.model_type,
                                           v.model_version_number, fraud._some_names('detector version', users)));
        END IF;
    END IF;
    IF status = 'TRAINING_CANCELLED' THEN
        -- a job no worker has taken yet ends now; a running one stops at its next step
        SELECT * INTO j FROM fraud.jobs x
            WHERE x.job_type = 'MODEL_TRAINING' AND x.job_id = fraud._model_job_id(v.model_id, v.model_type, v.model_version_number)
              AND fraud._job_active(x.status)
            FOR UPDATE;
        IF FOUND AND j.worker_pid IS NULL THEN
            PERFORM fraud._job_finish(j, 'CANCELED');
        ELSIF FOUND THEN
            UPDATE fraud.jobs x SET status = 'CANCEL_IN_PROGRESS' WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        END IF;
    END IF;
    UPDATE fraud.model_versions x SET status = fraud_update_model_version_status.status, last_updated_time = now()
        WHERE x.model_id = v.model_id AND x.model_type = v.model_type AND x.model_version_number = v.model_version_number;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_rule_metadata(rule jsonb, description text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE ref record;
BEGIN
    ref := fraud._rule_ref('rule', rule);
    PERFORM fraud._required('description', description);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.rule_versions r SET description = fraud_update_rule_metadata.description, last_updated_time = now()
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id AND r.rule_version = ref.rule_version;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('rule version', format('%s/%s/%s', ref.detector_id, ref.rule_id, ref.rule_version));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_rule_version(rule jsonb, expression text, outcomes text[], language text DEFAULT 'DETECTORPL'::text, description text DEFAULT NULL::text, tags jsonb DEFAULT NULL::jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE ref record; next_version int;
BEGIN
    PERFORM fraud._check_flat('outcomes', outcomes);
    ref := fraud._rule_ref('rule', rule);
    PERFORM fraud._require_rule_version(ref.detector_id, ref.rule_id, ref.rule_version);
    UPDATE fraud.rules r SET last_version = r.last_version + 1
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id
        RETURNING r.last_version INTO next_version;
    IF next_version > 99999 THEN
        PERFORM fraud._raise('54000', format('rule %s/%s has reached the maximum of 99999 versions', ref.detector_id, ref.rule_id));
    END IF;
    RETURN fraud._write_rule_version(ref.detector_id, ref.rule_id, next_version, expression, language,
                                     outcomes, description, tags);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_variable(name text, default_value text DEFAULT NULL::text, description text DEFAULT NULL::text, variable_type text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v fraud.variables;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT * INTO v FROM fraud.variables x WHERE x.name = fraud_update_variable.name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('variable', name);
    END IF;
    IF default_value IS NOT NULL THEN
        IF v.data_source = 'AGGREGATE' THEN
            PERFORM fraud._invalid('default_value', default_value, '(an aggregate variable''s default is its value over no events)');
        END IF;
        PERFORM fraud._check_default_value(v.data_type, default_value);
    END IF;
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    UPDATE fraud.variables x SET
        default_value = coalesce(fraud_update_variable.default_value, x.default_value),
        description = coalesce(fraud_update_variable.description, x.description),
        variable_type = coalesce(fraud_update_variable.variable_type, x.variable_type),
        last_updated_time = now()
    WHERE x.name = fraud_update_variable.name;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_associate_fraudster(domain_id text, fraudster_id text, watchlist_id text)
 RETURNS TABLE(generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_associate_fraudster(domain_id, fraudster_id, watchlist_id), NULL::text)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_create_domain(name text, embedding_dimension integer, description text DEFAULT NULL::text, cos_at_50 real DEFAULT 0.35, cos_at_90 real DEFAULT 0.60, authentication_min_speech_seconds real DEFAULT 10, tags jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(domain_id text, name text, description text, domain_status text, embedding_dimension integer, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb, arn text, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_domains(fraud._voice_create_domain(name, embedding_dimension, description, cos_at_50,
                                                                  cos_at_90, authentication_min_speech_seconds, tags))
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_create_watchlist(domain_id text, name text, description text DEFAULT NULL::text)
 RETURNS TABLE(watchlist_id text, domain_id text, name text, description text, default_watchlist boolean, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_create_watchlist(domain_id, name, description))
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_delete_domain(domain_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    IF EXISTS (SELECT 1 FROM fraud.jobs j WHERE j.domain_id = fraud_voice_delete_domain.domain_id
                                            AND j.status IN ('SUBMITTED', 'IN_PROGRESS')) THEN
        PERFORM fraud._conflict(format('domain %s has a job in progress', quote_literal(domain_id)));
    END IF;
    DELETE FROM fraud.voice_domains x WHERE x.domain_id = fraud_voice_delete_domain.domain_id;
    PERFORM fraud._drop_tags('voice-domain', domain_id);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_delete_fraudster(domain_id text, fraudster_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM fraud._voice_fraudster(domain_id, fraudster_id);
    DELETE FROM fraud.voice_fraudsters f WHERE f.fraudster_id = fraud_voice_delete_fraudster.fraudster_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_delete_speaker(domain_id text, speaker_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE s fraud.voice_speakers;
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    s := fraud._voice_speaker_lookup(domain_id, speaker_id);
    IF s.generated_speaker_id IS NULL THEN
        RAISE NOTICE 'speaker % does not exist, skipping', quote_literal(speaker_id);
        RETURN;
    END IF;
    DELETE FROM fraud.voice_speakers x WHERE x.generated_speaker_id = s.generated_speaker_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_delete_watchlist(domain_id text, watchlist_id text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE w fraud.voice_watchlists;
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    w := fraud._voice_watchlist(domain_id, watchlist_id);
    IF w.default_watchlist THEN
        PERFORM fraud._conflict(format('watchlist %s is the domain''s default watchlist and cannot be deleted', quote_literal(watchlist_id)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.voice_fraudster_watchlists m WHERE m.watchlist_id = fraud_voice_delete_watchlist.watchlist_id) THEN
        PERFORM fraud._conflict(format('watchlist %s is not empty (CANNOT_DELETE_NON_EMPTY_WATCHLIST)', quote_literal(watchlist_id)));
    END IF;
    DELETE FROM fraud.voice_watchlists x WHERE x.watchlist_id = fraud_voice_delete_watchlist.watchlist_id;
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_domain(domain_id text)
 RETURNS TABLE(domain_id text, name text, description text, domain_status text, embedding_dimension integer, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb, arn text, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_domains((fraud._voice_domain(domain_id)).domain_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_fraudster(domain_id text, fraudster_id text)
 RETURNS TABLE(generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_fraudster(domain_id, fraudster_id), NULL::text)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_fraudster_registration_job(domain_id text, job_id text)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id, job_id, NULL, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_speaker(domain_id text, speaker_id text)
 RETURNS TABLE(domain_id text, customer_speaker_id text, generated_speaker_id text, status text, created_at timestamp with time zone, updated_at timestamp with time zone, last_accessed_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_speakers(domain_id, fraud._voice_speaker(domain_id, speaker_id)) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_speaker_enrollment_job(domain_id text, job_id text)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id, job_id, NULL, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_describe_watchlist(domain_id text, watchlist_id text)
 RETURNS TABLE(watchlist_id text, domain_id text, name text, description text, default_watchlist boolean, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_describe_watchlist(domain_id, watchlist_id))
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_disassociate_fraudster(domain_id text, fraudster_id text, watchlist_id text)
 RETURNS TABLE(generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_disassociate_fraudster(domain_id, fraudster_id, watchlist_id), NULL::text)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_evaluate_session(domain_id text, session_name_or_id text, embedding real[], speech_seconds real, speaker_id text DEFAULT NULL::text, watchlist_id text DEFAULT NULL::text, authentication_threshold integer DEFAULT 90, fraud_risk_threshold integer DEFAULT 50, voice_spoofing_risk integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    d fraud.voice_domains; sess fraud.voice_sessions; s fraud.voice_speakers; v real[]; enough boolean;
    w text; auth_score int; auth_decision text; known_id text; known_cos real; known_score int := 0;
    fraud jsonb; inputs text[]; auth jsonb; fraud_result jsonb;
BEGIN
    d := fraud._voice_domain(domain_id);
    PERFORM fraud._check_pattern('session_name_or_id', session_name_or_id, '^(id#[a-zA-Z0-9]{22}|[a-zA-Z0-9][a-zA-Z0-9_-]*)$', 1, 36);
    v := fraud._voice_normalize('embedding', embedding, d.embedding_dimension);
    PERFORM fraud._required('speech_seconds', speech_seconds);
    IF NOT (speech_seconds >= 0 AND speech_seconds < 'Infinity') THEN
        PERFORM fraud._invalid('speech_seconds', speech_seconds::text, '(must be a number of seconds >= 0)');
    END IF;
    PERFORM fraud._required('authentication_threshold', authentication_threshold);
    PERFORM fraud._required('fraud_risk_threshold', fraud_risk_threshold);
    PERFORM fraud._voice_check_score('authentication_threshold', authentication_threshold);
    PERFORM fraud._voice_check_score('fraud_risk_threshold', fraud_risk_threshold);
    PERFORM fraud._voice_check_score('voice_spoofing_risk', voice_spoofing_risk);
    w := coalesce(watchlist_id, fraud._voice_default_watchlist(d.domain_id));
    PERFORM fraud._voice_watchlist(d.domain_id, w);

    -- the session: by name (recorded on first use) or by the id an earlier evaluation returned
    IF session_name_or_id LIKE 'id#%' THEN
        SELECT * INTO sess FROM fraud.voice_sessions x WHERE x.domain_id = d.domain_id AND x.session_id = session_name_or_id;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('session', session_name_or_id);
        END IF;
    ELSE
        INSERT INTO fraud.voice_sessions (domain_id, session_id, session_name)
            VALUES (d.domain_id, 'id#' || fraud._voice_derived_id(ARRAY[d.domain_id, session_name_or_id]), session_name_or_id)
            ON CONFLICT ON CONSTRAINT voice_sessions_domain_id_session_name_key DO NOTHING;
        SELECT * INTO sess FROM fraud.voice_sessions x WHERE x.domain_id = d.domain_id AND x.session_name = session_name_or_id;
    END IF;

    enough := speech_seconds >= d.authentication_min_speech_seconds;
    IF speaker_id IS NOT NULL THEN
        s := fraud._voice_speaker_lookup(d.domain_id, speaker_id);
    END IF;
    IF s.status = 'ENROLLED' AND enough THEN
        auth_score := fraud._voice_score(v, s.embedding, d.cos_at_50, d.cos_at_90);
    END IF;
    auth_decision := fraud._voice_authentication_decision(speaker_id IS NOT NULL, s.status, enough, auth_score,
                                                          authentication_threshold);
    IF auth_decision IN ('ACCEPT', 'REJECT') THEN
        UPDATE fraud.voice_speakers x SET last_accessed_at = now() WHERE x.generated_speaker_id = s.generated_speaker_id;
    END IF;

    IF enough THEN
        -- the cosine normalised for the watchlist's size (docs/voice-id.md, "Large watchlists")
        SELECT n.fraudster_id, n.normalized_cosine INTO known_id, known_cos
            FROM fraud._voice_nearest_normalized(d.domain_id, v, w, d.cos_at_50) n;
        IF known_id IS NOT NULL THEN
            known_score := fraud._voice_calibrate(known_cos, d.cos_at_50, d.cos_at_90);
        END IF;
    END IF;
    fraud := fraud._voice_fraud_decision(enough, known_score, coalesce(voice_spoofing_risk, 0), fraud_risk_threshold);

    inputs := ARRAY[d.domain_id, sess.session_id, v::text, speech_seconds::text, coalesce(speaker_id, ''),
                    authentication_threshold::text, fraud_risk_threshold::text, w, coalesce(voice_spoofing_risk::text, ''),
                    d.fraudsters_stamp::text, d.updated_at::text, coalesce(s.updated_at::text, '')];
    auth := jsonb_strip_nulls(jsonb_build_object(
        'AuthenticationResultId', fraud._voice_derived_id(inputs || 'authentication'::text),
        'Configuration', jsonb_build_object('AcceptanceThreshold', authentication_threshold),
        'CustomerSpeakerId', s.customer_speaker_id,
        'GeneratedSpeakerId', s.generated_speaker_id,
        'Decision', auth_decision,
        'Score', CASE WHEN auth_decision IN ('ACCEPT', 'REJECT') THEN auth_score END));
    fraud_result := jsonb_build_object(
        'FraudDetectionResultId', fraud._voice_derived_id(inputs || 'fraud'::text),
        'Configuration', jsonb_build_object('RiskThreshold', fraud_risk_threshold, 'WatchlistId', w),
        'Decision', fraud->'Decision',
        'Reasons', fraud->'Reasons')
        || CASE WHEN enough THEN jsonb_build_object('RiskDetails', jsonb_build_object(
               'KnownFraudsterRisk', jsonb_strip_nulls(jsonb_build_object('GeneratedFraudsterId', known_id, 'RiskScore', known_score)),
               'VoiceSpoofingRisk', jsonb_build_object('RiskScore', coalesce(voice_spoofing_risk, 0))))
           ELSE '{}' END;
    RETURN jsonb_build_object('DomainId', d.domain_id, 'SessionId', sess.session_id, 'SessionName', sess.session_name,
                              'StreamingStatus', 'ENDED', 'AuthenticationResult', auth,
                              'FraudDetectionResult', fraud_result);
END $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_get_job_results(domain_id text, job_id text)
 RETURNS TABLE(row_number bigint, request_id text, result jsonb)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_job_results(domain_id, job_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_domains()
 RETURNS TABLE(domain_id text, name text, description text, domain_status text, embedding_dimension integer, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb, arn text, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_domains(NULL::text) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_fraudster_registration_jobs(domain_id text, job_status text DEFAULT NULL::text)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id, NULL, job_status, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_fraudsters(domain_id text, watchlist_id text DEFAULT NULL::text)
 RETURNS TABLE(generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_list_fraudsters(domain_id, watchlist_id) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_speaker_enrollment_jobs(domain_id text, job_status text DEFAULT NULL::text)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$ SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id, NULL, job_status, fraud._caller_token()) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_speakers(domain_id text)
 RETURNS TABLE(domain_id text, customer_speaker_id text, generated_speaker_id text, status text, created_at timestamp with time zone, updated_at timestamp with time zone, last_accessed_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_speakers((fraud._voice_domain(domain_id)).domain_id, NULL::text) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_list_watchlists(domain_id text)
 RETURNS TABLE(watchlist_id text, domain_id text, name text, description text, default_watchlist boolean, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_watchlists((fraud._voice_domain(domain_id)).domain_id, NULL::text)
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_opt_out_speaker(domain_id text, speaker_id text)
 RETURNS TABLE(domain_id text, customer_speaker_id text, generated_speaker_id text, status text, created_at timestamp with time zone, updated_at timestamp with time zone, last_accessed_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT * FROM fraud._voice_speakers(domain_id, fraud._voice_opt_out_speaker(domain_id, speaker_id)) $function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_start_fraudster_registration_job(domain_id text, input_data_config jsonb, job_name text DEFAULT NULL::text, registration_config jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$
    SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id,
        fraud._voice_start_job('FRAUDSTER_REGISTRATION', domain_id, input_data_config, job_name, registration_config,
                               fraud._caller_token()), NULL, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_start_speaker_enrollment_job(domain_id text, input_data_config jsonb, job_name text DEFAULT NULL::text, enrollment_config jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE sql
AS $function$
    SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id,
        fraud._voice_start_job('SPEAKER_ENROLLMENT', domain_id, input_data_config, job_name, enrollment_config,
                               fraud._caller_token()), NULL, fraud._caller_token())
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_update_domain(domain_id text, name text, description text DEFAULT NULL::text, cos_at_50 real DEFAULT NULL::real, cos_at_90 real DEFAULT NULL::real, authentication_min_speech_seconds real DEFAULT NULL::real)
 RETURNS TABLE(domain_id text, name text, description text, domain_status text, embedding_dimension integer, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb, arn text, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_domains(fraud._voice_update_domain(domain_id, name, description, cos_at_50, cos_at_90,
                                                                  authentication_min_speech_seconds))
$function$
;
CREATE OR REPLACE FUNCTION @extschema@.fraud_voice_update_watchlist(domain_id text, watchlist_id text, name text DEFAULT NULL::text, description text DEFAULT NULL::text)
 RETURNS TABLE(watchlist_id text, domain_id text, name text, description text, default_watchlist boolean, created_at timestamp with time zone, updated_at timestamp with time zone)
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_update_watchlist(domain_id, watchlist_id, name, description))
$function$
;
CREATE OR REPLACE FUNCTION fraud._aggregate_reads_variables(variable text, filter text)
 RETURNS boolean
 LANGUAGE c
 IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', $function$aggregate_reads_variables_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._aggregate_type(function text, input_type text)
 RETURNS text[]
 LANGUAGE c
 IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', $function$aggregate_type_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._api_functions()
 RETURNS TABLE(signature regprocedure, schema_name name, function_name name, language name, body text, args text[])
 LANGUAGE sql
 STABLE
AS $function$
    SELECT p.oid::regprocedure, n.nspname, p.proname, l.lanname, p.prosrc, p.proargnames
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_proc p ON p.oid = d.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.refclassid = 'pg_catalog.pg_extension'::regclass
      AND d.deptype = 'e' AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'fraud_detector')
$function$
;
CREATE OR REPLACE FUNCTION fraud._backtest(p_detector_id text, p_detector_version_id text, p_from timestamp with time zone, p_to timestamp with time zone, p_baseline_version_id text, p_fraud_labels text[])
 RETURNS TABLE(kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint, matched_legit bigint, "precision" double precision, recall double precision)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    PERFORM fraud._check_flat('fraud_labels', p_fraud_labels);
    PERFORM fraud._check_names('fraud_labels', p_fraud_labels, 1);
    PERFORM fraud._check_exist('label', 'labels', p_fraud_labels);
    RETURN QUERY
        WITH ev AS MATERIALIZED (
            SELECT b.evaluated, b.matched_rules, b.outcomes, b.baseline_outcomes, b.changed,
                   b.event_label = ANY (p_fraud_labels) AS fraud,
                   b.event_label IS NOT NULL AND NOT b.event_label = ANY (p_fraud_labels) AS legit
            FROM fraud._backtest_events(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id) b),
        totals AS (SELECT count(*) AS n, count(*) FILTER (WHERE ev.fraud) AS fraud FROM ev),
        rules AS (SELECT r.rule_id, (row_number() OVER (ORDER BY r.position) - 1)::int AS i
                  FROM fraud.detector_version_rules r
                  WHERE r.detector_id = d.detector_id AND r.detector_version_id = p_detector_version_id::int),
        counted AS (
            SELECT 'rule' AS kind, r.rule_id AS name, r.i AS ord,
                   count(*) FILTER (WHERE r.i < ev.evaluated) AS evaluated,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules)) AS matched,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.fraud) AS matched_fraud,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.legit) AS matched_legit
            FROM rules r CROSS JOIN ev GROUP BY r.rule_id, r.i
            UNION ALL
            SELECT 'outcome', o, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev CROSS JOIN LATERAL unnest(ev.outcomes) o GROUP BY o
            UNION ALL
            SELECT 'any_outcome', NULL, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE cardinality(ev.outcomes) > 0
            UNION ALL
            SELECT 'change', ev.baseline_outcomes::text || ' -> ' || ev.outcomes::text,
                   NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE ev.changed GROUP BY ev.baseline_outcomes, ev.outcomes)
        SELECT c.kind, c.name, t.n, c.evaluated, c.matched, c.matched_fraud, c.matched_legit,
               c.matched_fraud::double precision / nullif(c.matched_fraud + c.matched_legit, 0),
               c.matched_fraud::double precision / nullif(t.fraud, 0)
        FROM counted c CROSS JOIN totals t
        ORDER BY CASE c.kind WHEN 'rule' THEN 0 WHEN 'outcome' THEN 1 WHEN 'any_outcome' THEN 2 ELSE 3 END, c.ord, c.name;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._backtest_detector(detector_id text, detector_version_id text, p_from timestamp with time zone, p_to timestamp with time zone, baseline_version_id text)
 RETURNS fraud.detectors
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE d fraud.detectors; v text;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = _backtest_detector.detector_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    PERFORM fraud._required('detector_version_id', detector_version_id);
    FOREACH v IN ARRAY ARRAY['detector_version_id', 'baseline_version_id'] LOOP
        CONTINUE WHEN v = 'baseline_version_id' AND baseline_version_id IS NULL;
        IF NOT EXISTS (SELECT 1 FROM fraud.detector_versions x
                       WHERE x.detector_id = d.detector_id
                         AND x.detector_version_id = fraud._version_number(v, CASE v WHEN 'detector_version_id'
                             THEN _backtest_detector.detector_version_id ELSE baseline_version_id END)) THEN
            PERFORM fraud._not_found('detector version', d.detector_id || '/' ||
                CASE v WHEN 'detector_version_id' THEN _backtest_detector.detector_version_id ELSE baseline_version_id END);
        END IF;
    END LOOP;
    PERFORM fraud._required('from', p_from);
    PERFORM fraud._required('to', p_to);
    IF p_from >= p_to THEN
        PERFORM fraud._invalid('to', p_to::text, format('(must be after from, %s)', p_from));
    END IF;
    RETURN d;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._backtest_events(p_detector_id text, p_detector_version_id text, p_from timestamp with time zone, p_to timestamp with time zone, p_baseline_version_id text)
 RETURNS TABLE(event_type_name text, event_id text, event_timestamp timestamp with time zone, event_label text, evaluated integer, matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    -- each version scores each event once: the scorings are columns of a subquery that OFFSET 0
    -- keeps whole (expanding (x).evaluated, (x).outcomes ... would call fraud._replay per field);
    -- no LATERAL, so the scan and the scorings can run in parallel workers
    RETURN QUERY
        SELECT s.event_type_name, s.event_id, s.event_timestamp, s.event_label, (s.x).evaluated,
               (s.x).matched_rules, (s.x).outcomes, (s.y).outcomes,
               p_baseline_version_id IS NOT NULL
                   AND NOT ((s.x).outcomes @> (s.y).outcomes AND (s.y).outcomes @> (s.x).outcomes)
        FROM (SELECT e.event_type_name, e.event_id, e.event_timestamp, e.event_label,
                     fraud._replay(d.detector_id, p_detector_version_id, e.event_variables, e.entities,
                                   e.event_timestamp) AS x,
                     CASE WHEN p_baseline_version_id IS NOT NULL THEN
                         fraud._replay(d.detector_id, p_baseline_version_id, e.event_variables, e.entities,
                                       e.event_timestamp) END AS y
              FROM fraud.events e
              WHERE e.event_type_name = d.event_type_name AND e.event_timestamp >= p_from AND e.event_timestamp < p_to
              OFFSET 0) s;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._backtest_init(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE total bigint;
BEGIN
    SELECT count(*) INTO total FROM fraud.events e
        WHERE e.event_type_name = j.event_type_name
          AND e.event_timestamp >= (j.config->>'from')::timestamptz AND e.event_timestamp < (j.config->>'to')::timestamptz;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', total_records_count = total,
                            next_position = fraud._epoch_us((j.config->>'from')::timestamptz),
                            end_position = fraud._epoch_us((j.config->>'to')::timestamptz),
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._backtest_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    lo timestamptz := 'epoch'::timestamptz + j.next_position * interval '1 microsecond';
    upto timestamptz := (j.config->>'to')::timestamptz;
    hi timestamptz;
    n bigint;
BEGIN
    SELECT e.event_timestamp INTO hi FROM fraud.events e
        WHERE e.event_type_name = j.event_type_name AND e.event_timestamp >= lo AND e.event_timestamp < upto
        ORDER BY e.event_timestamp OFFSET j.batch_size LIMIT 1;
    IF hi = lo THEN
        -- more than a batch of events at one time: all of them, and up to the next time
        SELECT min(e.event_timestamp) INTO hi FROM fraud.events e
            WHERE e.event_type_name = j.event_type_name AND e.event_timestamp > lo AND e.event_timestamp < upto;
    END IF;
    hi := coalesce(hi, upto);
    n := fraud._run_as(j.owner, j.search_path, format(
        'INSERT INTO %s SELECT * FROM @extschema@.fraud_backtest_events(%L, %L, %L, %L, %L)',
        j.output_path::regclass, j.detector_id, j.detector_version_id::text, lo, hi, j.config->>'baselineVersionId'));
    PERFORM fraud._job_progress(j, fraud._epoch_us(hi), n, 0);
    IF hi >= upto THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._batch_get_variable(p_names text[])
 RETURNS TABLE(name text, data_type text, data_source text, default_value text, description text, variable_type text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text, error_code integer, error_message text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._check_flat('names', p_names);
    PERFORM fraud._check_names('names', p_names, 1);
    IF cardinality(p_names) > 100 THEN
        PERFORM fraud._invalid('names', p_names::text, '(at most 100 names)');
    END IF;
    RETURN QUERY
        SELECT r.*, NULL::int, NULL::text FROM fraud._variable_rows(p_names) r
        UNION ALL
        SELECT w, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 404, format('variable %s does not exist', quote_literal(w))
        FROM unnest(p_names) w WHERE NOT EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = w);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._batch_import_init(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE v_staging text; n bigint; v_offset bigint; v_line bigint;
BEGIN
    IF j.input_kind = 'FILE' THEN
        SELECT s.records, s.data_offset, s.data_line INTO n, v_offset, v_line FROM fraud._csv_scan(j.owner, j.input_path) s;
    ELSE
        v_staging := fraud._job_staging_name(j.job_type, j.job_id);
        n := fraud._job_stage(j, v_staging);
    END IF;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = n, end_position = n,
                            next_position = 0, input_offset = v_offset, input_line = v_line,
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._batch_import_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    cols text[]; roles text[]; names text[]; types text[]; entity_types text[]; labels text[];
    b record;
BEGIN
    IF j.input_kind = 'FILE' THEN
        cols := fraud._csv_header(j.owner, j.input_path);   -- 42501 if the owner lost the right
    ELSE
        cols := ARRAY(SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = fraud._job_staging_name(j.job_type, j.job_id)::regclass AND a.attnum > 0
                        AND NOT a.attisdropped AND a.attname <> '_row' ORDER BY a.attnum);
    END IF;
    SELECT array_agg(c.role ORDER BY c.i), array_agg(c.name ORDER BY c.i), array_agg(c.data_type ORDER BY c.i)
        INTO roles, names, types
        FROM fraud._import_columns(j.event_type_name, cols) WITH ORDINALITY c(name, role, data_type, i);
    SELECT coalesce(array_agg(entity_type_name), '{}') INTO entity_types
        FROM fraud.event_type_entity_types WHERE event_type_name = j.event_type_name;
    SELECT coalesce(array_agg(label_name), '{}') INTO labels FROM fraud.event_type_labels WHERE event_type_name = j.event_type_name;
    SELECT * INTO b FROM fraud._import_batch(j.job_id, j.event_type_name, roles, names, types, entity_types, labels, j.owner,
        -- a staged input is read from its staging table (also a CSV file that 0.1.0 staged
        -- before an upgrade: such a job has no input_offset)
        CASE WHEN j.staging IS NULL THEN j.input_path END,
        CASE WHEN j.staging IS NOT NULL THEN fraud._job_staging_name(j.job_type, j.job_id) END,
        j.next_position, j.batch_size, j.input_offset, j.input_line);
    PERFORM fraud._job_progress(j, b.next_row, b.processed, b.failed);
    IF j.staging IS NULL THEN
        UPDATE fraud.jobs x SET input_offset = b.next_offset, input_line = b.next_line
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    IF b.at_end OR b.next_row >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._batch_prediction_init(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE v_staging text; total bigint; last bigint; version int := j.detector_version_id;
BEGIN
    IF version IS NULL THEN
        SELECT v.detector_version_id INTO version FROM fraud.detector_versions v
            WHERE v.detector_id = j.detector_id AND v.status = 'ACTIVE';
        IF NOT FOUND THEN
            PERFORM fraud._raise('42704', format('detector %s has no ACTIVE version', quote_literal(j.detector_id)));
        END IF;
    END IF;
    IF j.input_kind = 'TABLE' THEN
        -- counted as the job's owner, who must still be allowed to read it
        total := fraud._query_as(j.owner, j.search_path, 'SELECT count(*) FROM ' || j.input_path::regclass)::bigint;
        last := pg_relation_size(j.input_path::regclass) / current_setting('block_size')::bigint;
    ELSE
        v_staging := fraud._job_staging_name(j.job_type, j.job_id);
        total := fraud._job_stage(j, v_staging);
        last := total;
    END IF;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = total,
                            end_position = last, next_position = 0, detector_version_id = version,
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._batch_prediction_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    src text := CASE WHEN j.staging IS NULL THEN j.input_path::regclass::text
                     ELSE fraud._job_staging_name(j.job_type, j.job_id) END;
    out_table text := j.output_path::regclass::text;
    cols text; scols text; hi bigint; lo_key text; hi_key text; range_filter text; event_expr text;
    args text; typed text;
    n bigint;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), string_agg('s.' || quote_ident(a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('x.%I::%s AS %I', a.attname, format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum)
        INTO cols, scols, typed
        FROM pg_attribute a WHERE a.attrelid = j.output_path::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN ('model_scores', 'rule_results', 'outcomes', 'status');
    IF j.staging IS NOT NULL THEN
        -- the staged text back to the input's types (the output table's), as the job's owner
        src := format('(SELECT x._row, %s FROM %s x)', typed, src);
    END IF;
    IF j.staging IS NULL THEN
        -- blocks per batch from the table's rows per block
        hi := least(j.end_position, j.next_position
                    + greatest(1, ceil(j.batch_size::numeric * j.end_position / greatest(j.total_records_count, 1)))::bigint);
        lo_key := format('(%s,0)', j.next_position);
        hi_key := format('(%s,0)', hi);
        range_filter := 's.ctid >= %3$L::tid AND s.ctid < %4$L::tid';
        event_expr := 'to_jsonb(s)';
    ELSE
        hi := least(j.end_position, j.next_position + j.batch_size);
        lo_key := j.next_position::text;
        hi_key := hi::text;
        range_filter := 's._row > %3$L::bigint AND s._row <= %4$L::bigint';
        event_expr := 'to_jsonb(s) - ''_row''';
    END IF;
    -- the literals of the statement: detector, version, range
    range_filter := format(range_filter, NULL, NULL, lo_key, hi_key);
    args := format('%L, e.e, %L', j.detector_id, j.detector_version_id::text);
    -- run as the job's owner: it reads the owner's input and writes the owner's output table
    BEGIN
        -- OFFSET 0 keeps each LATERAL from being flattened, so every row is scored once;
        -- fraud._score_historical gives the prediction and the outcomes of that one scoring, each
        -- row at its own time (its aggregate variables see only events stored before it)
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (%s, model_scores, rule_results, outcomes, status)
            SELECT %s, (p.r).prediction->'modelScores', (p.r).prediction->'ruleResults', (p.r).outcomes, 'SUCCESS'
            FROM %s s
            CROSS JOIN LATERAL (SELECT %s AS e OFFSET 0) e
            CROSS JOIN LATERAL (SELECT fraud._score_historical(%s) AS r OFFSET 0) p
            WHERE %s$q$, out_table, cols, scols, src, event_expr, args, range_filter));
    EXCEPTION WHEN invalid_text_representation THEN
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (%s, model_scores, rule_results, outcomes, status)
            SELECT %s, (p.r).prediction->'modelScores', (p.r).prediction->'ruleResults', (p.r).outcomes,
                   coalesce('ERROR: ' || x.err, 'SUCCESS')
            FROM %s s
            CROSS JOIN LATERAL (SELECT %s AS e OFFSET 0) e
            CROSS JOIN LATERAL (SELECT fraud._event_error(%s) AS err OFFSET 0) x
            CROSS JOIN LATERAL (SELECT CASE WHEN x.err IS NULL THEN fraud._score_historical(%s) END AS r OFFSET 0) p
            WHERE %s$q$, out_table, cols, scols, src, event_expr, args, args, range_filter));
    END;
    PERFORM fraud._job_progress(j, hi, n, 0);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cache_usage()
 RETURNS TABLE(bytes bigint, budget bigint, versions integer, answers bigint, lists integer)
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$cache_usage_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._caller_token()
 RETURNS bigint
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$caller_token_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._capabilities()
 RETURNS TABLE(capability text, function_name text)
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT c, f FROM (VALUES
    ('scoring', 'fraud_predict'), ('scoring', 'fraud_outcomes'), ('scoring', 'fraud_score_trigger'),
    ('scoring', 'fraud_get_event_prediction'), ('scoring', 'fraud_send_event'),

    ('reading', 'fraud_explain'), ('reading', 'fraud_get_detectors'), ('reading', 'fraud_describe_detector'),
    ('reading', 'fraud_get_detector_version'), ('reading', 'fraud_get_rules'), ('reading', 'fraud_get_variables'),
    ('reading', 'fraud_batch_get_variable'), ('reading', 'fraud_get_event_types'), ('reading', 'fraud_get_entity_types'),
    ('reading', 'fraud_get_labels'), ('reading', 'fraud_get_outcomes'), ('reading', 'fraud_get_lists_metadata'),
    ('reading', 'fraud_get_list_elements'), ('reading', 'fraud_list_tags_for_resource'), ('reading', 'fraud_get_event'),
    ('reading', 'fraud_get_event_prediction_metadata'), ('reading', 'fraud_list_event_predictions'),
    ('reading', 'fraud_get_aggregate_variables'), ('reading', 'fraud_backtest'), ('reading', 'fraud_backtest_events'),
    ('reading', 'fraud_rule_stats'), ('reading', 'fraud_get_models'), ('reading', 'fraud_get_model_version'),
    ('reading', 'fraud_describe_model_versions'), ('reading', 'fraud_get_external_models'),

    ('managing', 'fraud_put_detector'), ('managing', 'fraud_delete_detector'),
    ('managing', 'fraud_create_detector_version'), ('managing', 'fraud_update_detector_version'),
    ('managing', 'fraud_update_detector_version_metadata'), ('managing', 'fraud_update_detector_version_status'),
    ('managing', 'fraud_delete_detector_version'), ('managing', 'fraud_update_detector_version_shadow'),
    ('managing', 'fraud_create_rule'),
    ('managing', 'fraud_update_rule_metadata'), ('managing', 'fraud_update_rule_version'), ('managing', 'fraud_delete_rule'),
    ('managing', 'fraud_create_variable'), ('managing', 'fraud_batch_create_variable'), ('managing', 'fraud_update_variable'),
    ('managing', 'fraud_delete_variable'), ('managing', 'fraud_put_event_type'), ('managing', 'fraud_delete_event_type'),
    ('managing', 'fraud_put_entity_type'), ('managing', 'fraud_delete_entity_type'), ('managing', 'fraud_put_label'),
    ('managing', 'fraud_delete_label'), ('managing', 'fraud_put_outcome'), ('managing', 'fraud_delete_outcome'),
    ('managing', 'fraud_create_list'), ('managing', 'fraud_update_list'), ('managing', 'fraud_delete_list'),
    ('managing', 'fraud_tag_resource'), ('managing', 'fraud_untag_resource'), ('managing', 'fraud_update_event_label'),
    ('managing', 'fraud_delete_event'),
    ('managing', 'fraud_create_aggregate_variable'), ('managing', 'fraud_delete_aggregate_variable'),
    ('managing', 'fraud_rebuild_event_keys'), ('managing', 'fraud_create_model'), ('managing', 'fraud_update_model'),
    ('managing', 'fraud_delete_model'), ('managing', 'fraud_update_model_version_status'),
    ('managing', 'fraud_delete_model_version'), ('managing', 'fraud_put_external_model'),
    ('managing', 'fraud._put_external_model'), ('managing', 'fraud_delete_external_model'),
    ('managing', 'fraud._caller_token'),

    ('jobs', 'fraud_create_batch_import_job'), ('jobs', 'fraud_get_batch_import_jobs'),
    ('jobs', 'fraud_get_batch_import_job_errors'), ('jobs', 'fraud_cancel_batch_import_job'),
    ('jobs', 'fraud_delete_batch_import_job'), ('jobs', 'fraud_create_batch_prediction_job'),
    ('jobs', 'fraud_get_batch_prediction_jobs'), ('jobs', 'fraud_cancel_batch_prediction_job'),
    ('jobs', 'fraud_delete_batch_prediction_job'), ('jobs', 'fraud_delete_events_by_event_type'),
    ('jobs', 'fraud_get_delete_events_by_event_type_status'),
    ('jobs', 'fraud._caller_token'), ('jobs', 'fraud._create_batch_import_job'), ('jobs', 'fraud._get_batch_import_jobs'),
    ('jobs', 'fraud._get_batch_import_job_errors'), ('jobs', 'fraud._job_cancel'), ('jobs', 'fraud._job_delete'),
    ('jobs', 'fraud._create_batch_prediction_job'), ('jobs', 'fraud._get_batch_prediction_jobs'),
    ('jobs', 'fraud._delete_events_by_event_type'),
    ('jobs', 'fraud_create_backtest_job'), ('jobs', 'fraud_get_backtest_jobs'), ('jobs', 'fraud_cancel_backtest_job'),
    ('jobs', 'fraud_delete_backtest_job'), ('jobs', 'fraud._create_backtest_job'), ('jobs', 'fraud._get_backtest_jobs'),
    -- training a model version is a job that reads stored events (or the caller's input)
    ('jobs', 'fraud_create_model_version'), ('jobs', 'fraud_update_model_version'),
    ('jobs', 'fraud._create_model_version'), ('jobs', 'fraud._update_model_version'),
    -- a batch prediction's worker scores as the job's owner
    ('jobs', 'fraud._score'), ('jobs', 'fraud._score_historical'), ('jobs', 'fraud._event_error'),

    ('voice_evaluation', 'fraud_voice_evaluate_session'), ('voice_evaluation', 'fraud_check_voice_id'),

    ('voice_management', 'fraud_voice_create_domain'), ('voice_management', 'fraud_voice_describe_domain'),
    ('voice_management', 'fraud_voice_list_domains'), ('voice_management', 'fraud_voice_update_domain'),
    ('voice_management', 'fraud_voice_delete_domain'), ('voice_management', 'fraud_voice_create_watchlist'),
    ('voice_management', 'fraud_voice_describe_watchlist'), ('voice_management', 'fraud_voice_list_watchlists'),
    ('voice_management', 'fraud_voice_update_watchlist'), ('voice_management', 'fraud_voice_delete_watchlist'),
    ('voice_management', 'fraud_voice_associate_fraudster'), ('voice_management', 'fraud_voice_disassociate_fraudster'),
    ('voice_management', 'fraud_voice_describe_fraudster'), ('voice_management', 'fraud_voice_list_fraudsters'),
    ('voice_management', 'fraud_voice_delete_fraudster'), ('voice_management', 'fraud_voice_describe_speaker'),
    ('voice_management', 'fraud_voice_list_speakers'), ('voice_management', 'fraud_voice_delete_speaker'),
    ('voice_management', 'fraud_voice_opt_out_speaker'), ('voice_management', 'fraud_voice_start_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_describe_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_list_fraudster_registration_jobs'),
    ('voice_management', 'fraud_voice_start_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_describe_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_list_speaker_enrollment_jobs'), ('voice_management', 'fraud_voice_get_job_results'),
    ('voice_management', 'fraud._caller_token'), ('voice_management', 'fraud._voice_start_job'),
    ('voice_management', 'fraud._voice_jobs')
    ) v(c, f)
$function$
;
CREATE OR REPLACE FUNCTION fraud._capability_functions(p_capability text)
 RETURNS SETOF regprocedure
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._check_enum('capability', p_capability,
                              ARRAY(SELECT DISTINCT c.capability FROM fraud._capabilities() c ORDER BY 1));
    RETURN QUERY
    SELECT f.signature FROM fraud._api_functions() f JOIN fraud._capabilities() c
        ON c.capability = p_capability
       AND CASE WHEN c.function_name LIKE 'fraud.%' THEN f.schema_name = 'fraud' AND f.function_name = substr(c.function_name, 7)
                ELSE f.schema_name <> 'fraud' AND f.function_name = c.function_name END
    ORDER BY 1::text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._capability_table()
 RETURNS TABLE(capability text, function_signature regprocedure)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT c.capability, s FROM (SELECT DISTINCT x.capability FROM fraud._capabilities() x) c,
           LATERAL fraud._capability_functions(c.capability) s
    ORDER BY 1, 2::text
$function$
;
CREATE OR REPLACE FUNCTION fraud._check_aggregate_variable(name text)
 RETURNS void
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$check_aggregate_variable_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._check_external_model_unused(p_model_endpoint text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE users text[];
BEGIN
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id) INTO users
        FROM fraud.detector_versions v WHERE p_model_endpoint = ANY (v.external_model_endpoints) AND v.status = 'ACTIVE';
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('external model %s is used by ACTIVE %s', quote_literal(p_model_endpoint),
                                       fraud._some_names('detector version', users)));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._check_flat(field text, value anyarray)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    IF array_ndims(value) > 1 THEN
        PERFORM fraud._invalid(field, value::text, '(must be a one-dimensional array)');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._check_job_visible(p_job_id text, job_owner regrole, role oid)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF NOT fraud._job_visible(job_owner, role) THEN
        PERFORM fraud._raise('42501', format('permission denied for job %s: it belongs to role %s', quote_literal(p_job_id), job_owner));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._check_list_size(list_name text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM fraud.list_elements WHERE fraud.list_elements.list_name = _check_list_size.list_name;
    IF n > 100000 THEN
        PERFORM fraud._raise('54000', format('list %s would hold %s elements (at most 100000)', quote_literal(list_name), n));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._check_role(role_name regrole)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._required('role_name', role_name);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = role_name) THEN
        PERFORM fraud._raise('42704', format('role with OID %s does not exist', role_name::oid));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._check_training_request(m fraud.models, p_source text, p_schema jsonb, p_external jsonb, p_ingested jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE vars text[]; bad text; mapper jsonb; treatment text; k text; s text; e text;
BEGIN
    PERFORM fraud._check_enum('training_data_source', p_source, ARRAY['EXTERNAL_EVENTS', 'INGESTED_EVENTS']);
    -- its scoring would read the entity's stored events, spread over the workers (docs/scale-out.md)
    IF m.model_type <> 'ONLINE_FRAUD_INSIGHTS' AND fraud._events_distributed() THEN
        PERFORM fraud._raise('0A000', format('a %s model reads the stored events of its entities, and fraud.events is distributed', m.model_type),
                             'See docs/scale-out.md, "Stored events".', NULL);
    END IF;
    PERFORM fraud._required('training_data_schema', p_schema);
    IF jsonb_typeof(p_schema) <> 'object' OR jsonb_typeof(p_schema->'modelVariables') IS DISTINCT FROM 'array' THEN
        PERFORM fraud._invalid('training_data_schema', p_schema::text, '(must be {"modelVariables": [...], "labelSchema": {...}})');
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_schema->'modelVariables') x WHERE jsonb_typeof(x) <> 'string') THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', (p_schema->'modelVariables')::text, '(must be an array of variable names)');
    END IF;
    vars := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(p_schema->'modelVariables') x ORDER BY 1);
    IF cardinality(vars) = 0 OR cardinality(vars) > 100 THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', (p_schema->'modelVariables')::text, '(must name 1 to 100 variables)');
    END IF;
    SELECT x INTO bad FROM unnest(vars) x
        WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_variables t WHERE t.event_type_name = m.event_type_name AND t.variable_name = x)
        LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', bad,
                               format('(not a variable of event type %s)', quote_literal(m.event_type_name)));
    END IF;
    mapper := coalesce(p_schema->'labelSchema'->'labelMapper', '{}');
    IF jsonb_typeof(mapper) <> 'object' THEN
        PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', mapper::text, '(must be {"FRAUD": [labels], "LEGIT": [labels]})');
    END IF;
    IF mapper = '{}' THEN
        -- AFD's default: the event type's labels named fraud and legit, when they exist
        mapper := jsonb_build_object('FRAUD', '["fraud"]'::jsonb, 'LEGIT', '["legit"]'::jsonb);
    END IF;
    FOR k IN SELECT jsonb_object_keys(mapper) LOOP
        IF k NOT IN ('FRAUD', 'LEGIT') THEN
            PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', k, '(keys must be FRAUD and LEGIT)');
        END IF;
        IF jsonb_typeof(mapper->k) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(mapper->k) x WHERE jsonb_typeof(x) <> 'string') THEN
            PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper.' || k, (mapper->k)::text, '(must be an array of label names)');
        END IF;
    END LOOP;
    SELECT x INTO bad FROM jsonb_array_elements_text(coalesce(mapper->'FRAUD', '[]') || coalesce(mapper->'LEGIT', '[]')) x
        GROUP BY x HAVING count(*) > 1 LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', bad, '(a label maps to both FRAUD and LEGIT)');
    END IF;
    treatment := coalesce(p_schema->'labelSchema'->>'unlabeledEventsTreatment', 'IGNORE');
    PERFORM fraud._check_enum('training_data_schema.labelSchema.unlabeledEventsTreatment', treatment,
                              ARRAY['IGNORE', 'FRAUD', 'LEGIT', 'AUTO']);
    IF p_source = 'INGESTED_EVENTS' THEN
        IF p_external IS NOT NULL THEN
            PERFORM fraud._invalid('external_events_detail', p_external::text, '(only with training_data_source EXTERNAL_EVENTS)');
        END IF;
        s := p_ingested->'ingestedEventsTimeWindow'->>'startTime';
        e := p_ingested->'ingestedEventsTimeWindow'->>'endTime';
        IF s IS NULL OR e IS NULL THEN
            PERFORM fraud._invalid('ingested_events_detail', coalesce(p_ingested::text, 'NULL'),
                                   '(must be {"ingestedEventsTimeWindow": {"startTime": ..., "endTime": ...}})');
        END IF;
        BEGIN
            IF s::timestamptz >= e::timestamptz THEN
                PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(startTime must be before endTime)');
            END IF;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(startTime and endTime must be timestamps)');
        END;
    ELSE
        IF p_ingested IS NOT NULL THEN
            PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(only with training_data_source INGESTED_EVENTS)');
        END IF;
        IF p_external->>'dataLocation' IS NULL THEN
            PERFORM fraud._invalid('external_events_detail', coalesce(p_external::text, 'NULL'),
                                   '(must be {"dataLocation": a table, a query or a server-side CSV file})');
        END IF;
    END IF;
    RETURN jsonb_build_object('modelVariables', to_jsonb(vars),
                              'labelSchema', jsonb_build_object('labelMapper', mapper, 'unlabeledEventsTreatment', treatment));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._checked_entities(event_type_name text, entities jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE e jsonb; out jsonb := '[]';
BEGIN
    PERFORM fraud._required('entities', entities);
    IF jsonb_typeof(entities) <> 'array' THEN
        PERFORM fraud._invalid('entities', entities::text, '(must be an array of {"entityType", "entityId"})');
    END IF;
    FOR e IN SELECT jsonb_array_elements(entities) LOOP
        IF jsonb_typeof(e) <> 'object' OR jsonb_typeof(e->'entityType') IS DISTINCT FROM 'string'
           OR jsonb_typeof(e->'entityId') IS DISTINCT FROM 'string'
           OR EXISTS (SELECT 1 FROM jsonb_object_keys(e) k WHERE k NOT IN ('entityType', 'entityId')) THEN
            PERFORM fraud._invalid('entities', e::text, '(each entity must be {"entityType": string, "entityId": string})');
        END IF;
        PERFORM fraud._check_pattern('entityId', e->>'entityId', '^[0-9A-Za-z_.@+-]+$', 1, 256);
        IF NOT EXISTS (SELECT 1 FROM fraud.event_type_entity_types t
                       WHERE t.event_type_name = _checked_entities.event_type_name
                         AND t.entity_type_name = e->>'entityType') THEN
            PERFORM fraud._invalid('entityType', e->>'entityType',
                                   format('(not an entity type of event type %s)', quote_literal(event_type_name)));
        END IF;
    END LOOP;
    -- built in one pass (appending in the loop would copy the array once per entity)
    SELECT coalesce(jsonb_agg(jsonb_build_object('entityType', x.e->>'entityType', 'entityId', x.e->>'entityId') ORDER BY x.i), '[]')
        INTO out FROM jsonb_array_elements(entities) WITH ORDINALITY x(e, i);
    RETURN out;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._checked_variables(event_type_name text, event_variables jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE k text; v jsonb; t text; why text; out jsonb := '{}';
BEGIN
    PERFORM fraud._required('event_variables', event_variables);
    IF jsonb_typeof(event_variables) <> 'object' OR event_variables = '{}' THEN
        PERFORM fraud._invalid('event_variables', event_variables::text, '(must be a non-empty object {"variable": "value"})');
    END IF;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(event_variables) e LOOP
        SELECT x.data_type INTO t FROM fraud.event_type_variables m JOIN fraud.variables x ON x.name = m.variable_name
            WHERE m.event_type_name = _checked_variables.event_type_name AND m.variable_name = k;
        IF NOT FOUND THEN
            PERFORM fraud._invalid('event_variables', k, format('(not a variable of event type %s)', quote_literal(event_type_name)));
        END IF;
        IF jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
            PERFORM fraud._invalid('event_variables', v::text, format('(value of %s must be a string)', quote_literal(k)));
        END IF;
        IF length(v #>> '{}') NOT BETWEEN 1 AND 8192 THEN
            PERFORM fraud._invalid('event_variables', v #>> '{}', format('(value of %s must be 1 to 8192 characters)', quote_literal(k)));
        END IF;
        why := fraud._variable_value_error(k, t, v #>> '{}');
        IF why IS NOT NULL THEN
            PERFORM fraud._raise('22023', 'invalid event_variables: ' || why);
        END IF;
        out := out || jsonb_build_object(k, v #>> '{}');
    END LOOP;
    RETURN out;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._citus_check()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE bad text; version text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'fraud_detector');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        PERFORM fraud._raise('55000', 'Citus is not installed in this database (CREATE EXTENSION citus)');
    END IF;
    -- session_user: the function runs as its owner (sql/privileges.sql), the caller must be one
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        PERFORM fraud._raise('42501', 'the Citus functions of fraud_detector are for a superuser');
    END IF;
    IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
        PERFORM fraud._raise('55000', 'the Citus functions of fraud_detector run on the Citus coordinator');
    END IF;
    SELECT string_agg(format('%s:%s has %s', n.nodename, n.nodeport, coalesce(r.result, 'no answer')), '; ') INTO bad
    FROM run_command_on_all_nodes($q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'fraud_detector'), 'no fraud_detector')$q$) r
    JOIN pg_dist_node n ON n.nodeid = r.nodeid
    WHERE NOT r.success OR r.result IS DISTINCT FROM version;
    IF bad IS NOT NULL THEN
        PERFORM fraud._raise('55000', format('every node needs fraud_detector %s: %s', version, bad));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_apply()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE c record; rel regclass; pk_match text; role text := current_setting('session_replication_role');
BEGIN
    IF (SELECT groupid FROM pg_dist_local_group) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock('fraud.cluster_changes'::regclass::oid::int, 0);
    PERFORM set_config('session_replication_role', 'replica', true);
    PERFORM set_config('fraud_detector.cluster_apply', 'on', true);
    FOR c IN SELECT * FROM changes ORDER BY change_id LOOP
        IF NOT EXISTS (SELECT 1 FROM fraud._cluster_tables() t WHERE t.table_name = c.table_name) THEN
            PERFORM fraud._raise('XX000', format('fraud.cluster_changes names %L, which is not a catalog table', c.table_name));
        END IF;
        rel := format('fraud.%I', c.table_name)::regclass;
        IF c.operation IN ('TRUNCATE', 'SYNC') THEN
            -- DELETE, not TRUNCATE: foreign keys are not checked under replica, TRUNCATE would
            -- still refuse a referenced table
            EXECUTE format('DELETE FROM %s', rel);
        ELSIF c.operation = 'DELETE' THEN
            SELECT string_agg(format('t.%1$I = o.%1$I', a.attname), ' AND ' ORDER BY k.n) INTO pk_match
            FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n), pg_attribute a
            WHERE i.indrelid = rel AND i.indisprimary AND a.attrelid = rel AND a.attnum = k.attnum;
            EXECUTE format('DELETE FROM %1$s t USING jsonb_populate_recordset(NULL::%1$s, $1) o WHERE %2$s', rel, pk_match)
                USING c.old_rows;
        END IF;
        IF c.new_rows IS NOT NULL THEN
            EXECUTE format('INSERT INTO %1$s SELECT * FROM jsonb_populate_recordset(NULL::%1$s, $1)', rel) USING c.new_rows;
        END IF;
        -- a worker's own Voice ID sessions go with their domain (no cascade under replica)
        IF c.table_name = 'voice_domains' AND c.operation <> 'INSERT' THEN
            DELETE FROM fraud.voice_sessions s WHERE NOT EXISTS (SELECT 1 FROM fraud.voice_domains d WHERE d.domain_id = s.domain_id);
        END IF;
    END LOOP;
    PERFORM set_config('fraud_detector.cluster_apply', 'off', true);
    PERFORM set_config('session_replication_role', role, true);
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_applying()
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT current_setting('fraud_detector.cluster_apply', true) = 'on' AND current_setting('session_replication_role') = 'replica'
$function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_refuse_write()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF NOT fraud._creating_extension() THEN
        PERFORM fraud._raise('25006', format('fraud.%I is changed on the Citus coordinator only (docs/scale-out.md)', TG_TABLE_NAME));
    END IF;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_send(p_table name, p_operation text, p_old jsonb, p_new jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE id bigint;
BEGIN
    INSERT INTO fraud.cluster_changes (table_name, operation, old_rows, new_rows)
    VALUES (p_table, p_operation, p_old, p_new) RETURNING change_id INTO id;
    DELETE FROM fraud.cluster_changes WHERE change_id = id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_ship()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET extra_float_digits TO '1'
AS $function$
DECLARE chunk record;
BEGIN
    IF fraud._creating_extension() OR to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM fraud._cluster_send(TG_TABLE_NAME, 'TRUNCATE', NULL, NULL);
        RETURN NULL;
    END IF;
    -- an UPDATE goes as the old rows' removal, then the new rows: the same on the worker
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR chunk IN SELECT jsonb_agg(x.r) AS rows FROM (SELECT to_jsonb(o) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                        FROM old_rows o) x GROUP BY x.g ORDER BY x.g LOOP
            PERFORM fraud._cluster_send(TG_TABLE_NAME, 'DELETE', chunk.rows, NULL);
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        FOR chunk IN SELECT jsonb_agg(x.r) AS rows FROM (SELECT to_jsonb(n) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                        FROM new_rows n) x GROUP BY x.g ORDER BY x.g LOOP
            PERFORM fraud._cluster_send(TG_TABLE_NAME, 'INSERT', NULL, chunk.rows);
        END LOOP;
    END IF;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._cluster_tables()
 RETURNS TABLE(ord integer, table_name name)
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT t.n::int, t.name::name FROM unnest(ARRAY[
        'variable_types', 'entity_types', 'labels', 'outcomes', 'variables', 'event_types',
        'event_type_variables', 'event_type_entity_types', 'event_type_labels', 'lists', 'list_elements',
        'detectors', 'rules', 'rule_versions', 'rule_version_outcomes', 'rule_version_lists',
        'detector_versions', 'detector_version_rules', 'tags', 'aggregate_variables',
        'aggregate_variable_event_types', 'models', 'model_versions', 'external_models',
        'voice_domains', 'voice_watchlists', 'voice_fraudsters', 'voice_fraudster_watchlists',
        'voice_fraudster_changes', 'voice_speakers']) WITH ORDINALITY t(name, n)
$function$
;
CREATE OR REPLACE FUNCTION fraud._conflict(message text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    PERFORM fraud._raise('55006', message);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._create_backtest_job(p_job_id text, p_detector_id text, p_detector_version_id text, p_from timestamp with time zone, p_to timestamp with time zone, p_output_path text, p_baseline_version_id text, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE d fraud.detectors; v_role oid; v_path text; out_table text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    -- the versions must compile now: the same errors as fraud_backtest
    PERFORM fraud._replay(d.detector_id, v, '{}', '[]', p_from)
        FROM unnest(ARRAY[p_detector_version_id, p_baseline_version_id]) v WHERE v IS NOT NULL;
    IF NOT pg_catalog.has_function_privilege(v_role,
            '@extschema@.fraud_backtest_events(text, text, timestamptz, timestamptz, text)', 'EXECUTE') THEN
        PERFORM fraud._raise('42501', 'permission denied for function fraud_backtest_events',
                             'A backtest job replays its batches with its creator''s rights.',
                             'Grant the creator the reading capability: fraud_grant(''reading'', ...).');
    END IF;
    out_table := fraud._job_output_table(p_output_path, v_role, v_path,
        'event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int, '
        'matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean');
    PERFORM fraud._job_create('BACKTEST', p_job_id, d.event_type_name, d.detector_id, p_detector_version_id::int,
                              'EVENTS', 'fraud.events', out_table, NULL, v_role, v_path);
    UPDATE fraud.jobs x SET config = jsonb_build_object('from', p_from, 'to', p_to, 'baselineVersionId', p_baseline_version_id)
        WHERE x.job_type = 'BACKTEST' AND x.job_id = p_job_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._create_batch_import_job(p_job_id text, p_input_path text, p_event_type_name text, p_tags jsonb, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE t fraud.event_types; inp record; bad text[]; missing text[]; dup text;
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    t := fraud._event_type(p_event_type_name);
    inp := fraud._job_input(p_input_path, 'input_path', v_role, v_path);
    SELECT array_agg(quote_ident(c.name)) INTO bad FROM fraud._import_columns(t.name, inp.columns) c WHERE c.role IS NULL;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path,
            format('(%s neither an AFD column (EVENT_ID, EVENT_TIMESTAMP, ENTITY_ID, ENTITY_TYPE, EVENT_LABEL, LABEL_TIMESTAMP) nor a variable of event type %s)',
                   CASE WHEN cardinality(bad) = 1 THEN 'column ' || bad[1] || ' is'
                        ELSE 'columns ' || array_to_string(bad, ', ') || ' are' END,
                   quote_literal(t.name)));
    END IF;
    SELECT array_agg(r ORDER BY i) INTO missing
        FROM unnest(ARRAY['EVENT_ID', 'EVENT_TIMESTAMP', 'ENTITY_ID', 'ENTITY_TYPE']) WITH ORDINALITY u(r, i)
        WHERE r NOT IN (SELECT c.role FROM fraud._import_columns(t.name, inp.columns) c WHERE c.role IS NOT NULL);
    IF missing IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path,
            CASE WHEN cardinality(missing) = 1 THEN format('(required column %s is missing)', missing[1])
                 ELSE format('(required columns %s are missing)', array_to_string(missing, ', ')) END);
    END IF;
    SELECT lower(c) INTO dup FROM unnest(inp.columns) c GROUP BY lower(c) HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path, format('(column %s appears more than once)', dup));
    END IF;
    PERFORM fraud._job_create('BATCH_IMPORT', p_job_id, t.name, NULL, NULL, inp.kind, inp.source, NULL, p_tags, v_role, v_path);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._create_batch_prediction_job(p_job_id text, p_input_path text, p_output_path text, p_event_type_name text, p_detector_name text, p_detector_version text, p_tags jsonb, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    t fraud.event_types; d fraud.detectors; inp record; out_table text; added text; version int;
    v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    t := fraud._event_type(p_event_type_name);
    PERFORM fraud._check_identifier('detector_name', p_detector_name);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = p_detector_name;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', p_detector_name);
    END IF;
    IF d.event_type_name <> t.name THEN
        PERFORM fraud._invalid('event_type_name', p_event_type_name,
            format('(detector %s scores events of type %s)', quote_literal(d.detector_id), quote_literal(d.event_type_name)));
    END IF;
    IF p_detector_version IS NOT NULL THEN
        version := fraud._version_number('detector_version', p_detector_version);
    END IF;
    -- the detector (version) must compile now: the same errors as fraud_predict
    PERFORM fraud._score(d.detector_id, '{}'::jsonb, p_detector_version, false);
    inp := fraud._job_input(p_input_path, 'input_path', v_role, v_path);
    SELECT string_agg(quote_ident(c), ', ') INTO added FROM unnest(inp.columns) c
        WHERE c IN ('model_scores', 'rule_results', 'outcomes', 'status');
    IF added IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path, format('(input column %s clashes with the columns the output adds)', added));
    END IF;
    out_table := fraud._job_output_table(p_output_path, v_role, v_path,
        (SELECT string_agg(quote_ident(c) || ' ' || ty, ', ' ORDER BY i)
         FROM unnest(inp.columns, inp.types) WITH ORDINALITY u(c, ty, i))
        || ', model_scores jsonb, rule_results jsonb, outcomes text[], status text NOT NULL');
    PERFORM fraud._job_create('BATCH_PREDICTION', p_job_id, t.name, d.detector_id, version, inp.kind, inp.source,
                              out_table, p_tags, v_role, v_path);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._create_detector_version(p_detector_id text, p_rules jsonb, p_description text, p_external_model_endpoints text[], p_model_versions jsonb, p_rule_execution_mode text, p_tags jsonb)
 RETURNS TABLE(detector_id text, detector_version_id text, status text)
 LANGUAGE plpgsql
AS $function$
DECLARE d fraud.detectors; n int; endpoints text[]; models jsonb;
BEGIN
    d := fraud._lock_detector(p_detector_id);
    PERFORM fraud._check_description('description', p_description);
    PERFORM fraud._check_enum('rule_execution_mode', p_rule_execution_mode, ARRAY['ALL_MATCHED', 'FIRST_MATCHED']);
    endpoints := fraud._external_model_endpoints_arg(p_external_model_endpoints, d.event_type_name);
    models := fraud._model_versions_arg(p_model_versions, d.event_type_name);
    PERFORM fraud._required('rules', p_rules);
    n := d.last_version_id + 1;
    IF n > 99999 THEN
        PERFORM fraud._raise('54000', format('detector %s has reached the maximum of 99999 versions', quote_literal(p_detector_id)));
    END IF;
    UPDATE fraud.detectors x SET last_version_id = n WHERE x.detector_id = d.detector_id;
    INSERT INTO fraud.detector_versions AS x (detector_id, detector_version_id, description, status,
                                              rule_execution_mode, external_model_endpoints, model_versions)
        VALUES (d.detector_id, n, p_description, 'DRAFT', p_rule_execution_mode, endpoints, models);
    PERFORM fraud._write_version_rules(d.detector_id, n, p_rules);
    PERFORM fraud._check_detector_version(d.detector_id, n::text);
    PERFORM fraud._set_tags('detector-version', format('%s/%s', d.detector_id, n), p_tags);
    RETURN QUERY SELECT d.detector_id, n::text, 'DRAFT'::text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._create_model_version(p_model_id text, p_model_type text, p_training_data_source text, p_training_data_schema jsonb, p_external_events_detail jsonb, p_ingested_events_detail jsonb, p_tags jsonb, p_caller bigint)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    RETURN QUERY SELECT * FROM fraud._start_model_version(fraud._model(p_model_id, p_model_type, true), p_training_data_source,
        p_training_data_schema, p_external_events_detail, p_ingested_events_detail, p_tags, p_caller);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._creating_extension()
 RETURNS boolean
 LANGUAGE c
 STABLE PARALLEL SAFE STRICT
AS 'MODULE_PATHNAME', $function$creating_extension_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._csv_header(role oid, path text)
 RETURNS text[]
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$csv_header_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._csv_scan(role oid, path text)
 RETURNS TABLE(records bigint, data_offset bigint, data_line bigint)
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$csv_scan_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._delete_events_by_event_type(p_event_type_name text, p_caller bigint)
 RETURNS TABLE(event_type_name text, events_deletion_status text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE t fraud.event_types; j fraud.jobs; v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    t := fraud._event_type(p_event_type_name);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    SELECT * INTO j FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = t.name FOR UPDATE;
    IF FOUND AND fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('the events of event type %s are already being deleted', quote_literal(t.name)));
    END IF;
    DELETE FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = t.name;
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, input_kind, input_path, owner, search_path)
        VALUES ('DELETE_EVENTS', t.name, t.name, 'EVENTS', 'fraud.events', v_role::regrole, v_path);
    PERFORM fraud._launch_job_worker();
    RETURN QUERY SELECT t.name, 'IN_PROGRESS_INITIALIZING'::text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._delete_events_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE n bigint; ids text[];
BEGIN
    -- counts and ids read first, each by a query of its own: a subquery of a distributed
    -- fraud.events inside an UPDATE or DELETE is what Citus plans worst or refuses (docs/scale-out.md)
    IF j.status = 'IN_PROGRESS_INITIALIZING' THEN
        SELECT count(*) INTO n FROM fraud.events e WHERE e.event_type_name = j.event_type_name;
        UPDATE fraud.jobs x SET status = 'IN_PROGRESS', last_heartbeat_time = clock_timestamp(), total_records_count = n
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        RETURN;
    END IF;
    ids := ARRAY(SELECT x.event_id FROM fraud.events x WHERE x.event_type_name = j.event_type_name LIMIT j.batch_size);
    DELETE FROM fraud.events e WHERE e.event_type_name = j.event_type_name AND e.event_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM fraud._job_progress(j, j.next_position + n, n, 0);
    IF n < j.batch_size THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._describe_as(role oid, search_path text, sql text)
 RETURNS TABLE(name text, type_name text)
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$describe_as_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._describe_detector(p_detector_id text)
 RETURNS TABLE(detector_id text, detector_version_id text, status text, description text, last_updated_time timestamp with time zone, arn text, shadow boolean)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT v.detector_id, v.detector_version_id::text, v.status, v.description, v.last_updated_time,
           fraud._arn('detector', v.detector_id), v.shadow
    FROM fraud.detector_versions v WHERE v.detector_id = p_detector_id ORDER BY v.detector_version_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._describe_model_versions(p_model_id text, p_version text, p_model_type text)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM fraud._reap_jobs();
    IF p_model_type IS NOT NULL THEN
        PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    END IF;
    RETURN QUERY
        SELECT r.* FROM fraud.model_versions v CROSS JOIN LATERAL fraud._model_version_row(v) r
        WHERE (p_model_id IS NULL OR v.model_id = p_model_id) AND (p_model_type IS NULL OR v.model_type = p_model_type)
          AND (p_version IS NULL OR v.model_version_number = p_version)
        ORDER BY v.model_id, v.model_type, v.major, v.minor;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._duplicate(kind text, id text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    PERFORM fraud._raise('23505', format('%s %s already exists', kind, quote_literal(id)));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._epoch_us(t timestamp with time zone)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT ((extract(epoch FROM t) * 1000000)::numeric)::bigint $function$
;
CREATE OR REPLACE FUNCTION fraud._event_keys_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fraud.event_key_specs) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM fraud.event_keys k
        USING old_events o
        CROSS JOIN LATERAL fraud._event_keys_of(o.event_type_name, o.event_id, o.event_timestamp, o.entities,
                                                o.event_variables, o.event_label, o.label_timestamp) x
        WHERE (k.key_name, k.key_value, k.event_timestamp, k.event_type_name, k.event_id)
            = (x.key_name, x.key_value, x.event_timestamp, x.event_type_name, x.event_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fraud.event_keys
        SELECT k.* FROM new_events n
        CROSS JOIN LATERAL fraud._event_keys_of(n.event_type_name, n.event_id, n.event_timestamp, n.entities,
                                                n.event_variables, n.event_label, n.label_timestamp) k;
    END IF;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._event_keys_of(p_event_type_name text, p_event_id text, p_event_timestamp timestamp with time zone, p_entities jsonb, p_event_variables jsonb, p_event_label text, p_label_timestamp timestamp with time zone)
 RETURNS TABLE(key_name text, key_value text, event_timestamp timestamp with time zone, event_type_name text, event_id text, event_label text, label_timestamp timestamp with time zone, event_variables jsonb)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT s.key_name, e.value->>'entityId', p_event_timestamp, p_event_type_name, p_event_id, p_event_label,
           p_label_timestamp, CASE WHEN s.with_variables THEN p_event_variables END
    FROM fraud.event_key_specs s CROSS JOIN LATERAL jsonb_array_elements(p_entities) e
    WHERE s.event_type_name = p_event_type_name AND s.entity_type IS NOT NULL
      AND e.value->>'entityType' = s.entity_type AND e.value->>'entityId' IS NOT NULL
    UNION
    SELECT s.key_name, p_event_variables->>s.group_by_variable, p_event_timestamp, p_event_type_name, p_event_id,
           p_event_label, p_label_timestamp, CASE WHEN s.with_variables THEN p_event_variables END
    FROM fraud.event_key_specs s
    WHERE s.event_type_name = p_event_type_name AND s.group_by_variable IS NOT NULL
      AND p_event_variables->>s.group_by_variable IS NOT NULL
$function$
;
CREATE OR REPLACE FUNCTION fraud._event_keys_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    TRUNCATE fraud.event_keys;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._event_type_deleted()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF NOT fraud._creating_extension() AND (SELECT groupid FROM pg_dist_local_group) = 0 THEN
        DELETE FROM fraud.events e WHERE e.event_type_name IN (SELECT o.name FROM old_rows o);
    END IF;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._events_distributed()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE found boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = ''fraud.events''::regclass)' INTO found;
    RETURN found;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._expression_variables(expression text)
 RETURNS text[]
 LANGUAGE c
 IMMUTABLE PARALLEL SAFE STRICT
AS 'MODULE_PATHNAME', $function$expression_variables_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._external_model_endpoints_arg(endpoints text[], p_event_type text)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE e text; x fraud.external_models;
BEGIN
    PERFORM fraud._check_flat('external_model_endpoints', endpoints);
    FOREACH e IN ARRAY coalesce(endpoints, '{}') LOOP
        SELECT * INTO x FROM fraud.external_models m WHERE m.model_endpoint = e;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('external model', coalesce(e, 'NULL'));
        END IF;
        IF x.model_endpoint_status <> 'ASSOCIATED' THEN
            PERFORM fraud._conflict(format('external model %s is DISSOCIATED', quote_literal(e)));
        END IF;
        IF x.input_configuration->>'eventTypeName' IS DISTINCT FROM p_event_type THEN
            PERFORM fraud._invalid('external_model_endpoints', e,
                                   format('(its input configuration is for event type %s, the detector for %s)',
                                          coalesce(quote_literal(x.input_configuration->>'eventTypeName'), 'none'), quote_literal(p_event_type)));
        END IF;
    END LOOP;
    IF (SELECT count(DISTINCT u) FROM unnest(endpoints) u) <> cardinality(endpoints) THEN
        PERFORM fraud._invalid('external_model_endpoints', endpoints::text, '(an endpoint is named twice)');
    END IF;
    RETURN coalesce(endpoints, '{}');
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_aggregate_variables(p_name text)
 RETURNS TABLE(name text, data_type text, event_types text[], function text, variable text, entity_type text, group_by_variable text, time_window interval, filter text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    RETURN QUERY
        SELECT a.name, v.data_type,
               ARRAY(SELECT t.event_type_name FROM fraud.aggregate_variable_event_types t
                     WHERE t.aggregate_name = a.name ORDER BY t.event_type_name),
               a.function, a.variable, a.entity_type, a.group_by_variable, a.time_window, a.filter,
               v.description, v.last_updated_time, v.created_time, fraud._arn('variable', a.name)
        FROM fraud.aggregate_variables a JOIN fraud.variables v ON v.name = a.name
        WHERE p_name IS NULL OR a.name = p_name
        ORDER BY a.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('aggregate variable', p_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_backtest_jobs(p_job_id text, p_caller bigint)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, detector_id text, detector_version_id text, baseline_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, output_path text, processed_records_count bigint, total_records_count bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid;
BEGIN
    SELECT c.role INTO v_role FROM fraud._redeem_caller(p_caller) c;
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('job_id', p_job_id);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.status, CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.failure_reason END,
           x.start_time, x.completion_time, x.detector_id, x.detector_version_id::text,
           x.config->>'baselineVersionId', (x.config->>'from')::timestamptz, (x.config->>'to')::timestamptz,
           x.output_path, x.processed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BACKTEST' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('backtest job', p_job_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_batch_import_job_errors(p_job_id text, p_caller bigint)
 RETURNS TABLE(row_number bigint, event_id text, reason text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_owner regrole;
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    SELECT x.owner INTO v_owner FROM fraud.jobs x WHERE x.job_type = 'BATCH_IMPORT' AND x.job_id = p_job_id AND NOT x.deleted;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('batch import job', p_job_id);
    END IF;
    -- failed records quote the input
    PERFORM fraud._check_job_visible(p_job_id, v_owner, v_role);
    RETURN QUERY SELECT e.row_number, e.event_id, e.reason FROM fraud.batch_import_errors e
                 WHERE e.job_id = p_job_id ORDER BY e.row_number;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_batch_import_jobs(p_job_id text, p_caller bigint)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, last_heartbeat_time timestamp with time zone, input_path text, event_type_name text, arn text, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('job_id', p_job_id);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.status,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.failure_reason END,
           x.start_time, x.completion_time, x.last_heartbeat_time,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.input_path END,
           x.event_type_name, fraud._arn('batch-import', x.job_id),
           x.processed_records_count, x.failed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BATCH_IMPORT' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('batch import job', p_job_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_batch_prediction_jobs(p_job_id text, p_caller bigint)
 RETURNS TABLE(job_id text, status text, failure_reason text, start_time timestamp with time zone, completion_time timestamp with time zone, last_heartbeat_time timestamp with time zone, input_path text, output_path text, event_type_name text, detector_name text, detector_version text, arn text, processed_records_count bigint, total_records_count bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('job_id', p_job_id);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.status,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.failure_reason END,
           x.start_time, x.completion_time, x.last_heartbeat_time,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.input_path END,
           x.output_path, x.event_type_name, x.detector_id, x.detector_version_id::text,
           fraud._arn('batch-prediction', x.job_id), x.processed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BATCH_PREDICTION' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('batch prediction job', p_job_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_delete_events_by_event_type_status(p_event_type_name text)
 RETURNS TABLE(event_type_name text, events_deletion_status text)
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM fraud._check_identifier('event_type_name', p_event_type_name);
    PERFORM fraud._reap_jobs();
    RETURN QUERY SELECT x.job_id, x.status FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = p_event_type_name;
    IF NOT FOUND THEN
        PERFORM fraud._raise('42704', format('no deletion of the events of event type %s was ever requested',
                                             quote_literal(p_event_type_name)));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_detector_version(p_detector_id text, p_detector_version_id text)
 RETURNS TABLE(detector_id text, detector_version_id text, description text, external_model_endpoints text[], model_versions jsonb, rules jsonb, status text, last_updated_time timestamp with time zone, created_time timestamp with time zone, rule_execution_mode text, arn text, shadow boolean)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE n int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    n := fraud._version_number('detector_version_id', p_detector_version_id);
    RETURN QUERY
    SELECT v.detector_id, v.detector_version_id::text, v.description, v.external_model_endpoints, v.model_versions,
           coalesce((SELECT jsonb_agg(fraud._rule_json(r.detector_id, r.rule_id, r.rule_version) ORDER BY r.position)
                     FROM fraud.detector_version_rules r
                     WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id), '[]'),
           v.status, v.last_updated_time, v.created_time, v.rule_execution_mode,
           fraud._arn('detector-version', format('%s/%s', v.detector_id, v.detector_version_id)), v.shadow
    FROM fraud.detector_versions v
    WHERE v.detector_id = p_detector_id AND v.detector_version_id = n;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector version', format('%s/%s', p_detector_id, p_detector_version_id));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_detectors(p_detector_id text)
 RETURNS TABLE(detector_id text, description text, event_type_name text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF p_detector_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('detector_id', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT d.detector_id, d.description, d.event_type_name, d.last_updated_time, d.created_time,
           fraud._arn('detector', d.detector_id)
    FROM fraud.detectors d WHERE p_detector_id IS NULL OR d.detector_id = p_detector_id ORDER BY d.detector_id;
    IF p_detector_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_event_types(p_name text)
 RETURNS TABLE(name text, description text, event_variables text[], labels text[], entity_types text[], event_ingestion text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text, event_orchestration jsonb)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_identifier('name', p_name);
    END IF;
    RETURN QUERY
    SELECT t.name, t.description,
           ARRAY(SELECT variable_name FROM fraud.event_type_variables m WHERE m.event_type_name = t.name ORDER BY position),
           ARRAY(SELECT label_name FROM fraud.event_type_labels m WHERE m.event_type_name = t.name ORDER BY position),
           ARRAY(SELECT entity_type_name FROM fraud.event_type_entity_types m WHERE m.event_type_name = t.name ORDER BY position),
           t.event_ingestion, t.last_updated_time, t.created_time, fraud._arn('event-type', t.name), t.event_orchestration
    FROM fraud.event_types t
    WHERE p_name IS NULL OR t.name = p_name
    ORDER BY t.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('event type', p_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_external_models(p_model_endpoint text)
 RETURNS TABLE(model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, function regprocedure, input_configuration jsonb, output_configuration jsonb, model_endpoint_status text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    RETURN QUERY
        SELECT x.model_endpoint, x.model_source, x.invoke_model_endpoint_role_arn, x.function, x.input_configuration,
               x.output_configuration, x.model_endpoint_status, x.last_updated_time, x.created_time,
               fraud._arn('external-model', x.model_endpoint)
        FROM fraud.external_models x
        WHERE p_model_endpoint IS NULL OR x.model_endpoint = p_model_endpoint
        ORDER BY x.model_endpoint;
    IF p_model_endpoint IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('external model', p_model_endpoint);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_list_elements(p_name text)
 RETURNS SETOF text
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._check_pattern('name', p_name, '^[0-9a-z_]+$', 1, 64);
    IF NOT EXISTS (SELECT 1 FROM fraud.lists WHERE name = p_name) THEN
        PERFORM fraud._not_found('list', p_name);
    END IF;
    RETURN QUERY SELECT element FROM fraud.list_elements WHERE list_name = p_name ORDER BY element;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_lists_metadata(p_name text)
 RETURNS TABLE(name text, description text, variable_type text, created_time timestamp with time zone, updated_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_pattern('name', p_name, '^[0-9a-z_]+$', 1, 64);
    END IF;
    RETURN QUERY
    SELECT l.name, l.description, l.variable_type, l.created_time, l.updated_time, fraud._arn('list', l.name)
    FROM fraud.lists l WHERE p_name IS NULL OR l.name = p_name ORDER BY l.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('list', p_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_model_version(p_model_id text, p_model_type text, p_version text)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, status text, arn text)
 LANGUAGE plpgsql
AS $function$
DECLARE v fraud.model_versions;
BEGIN
    PERFORM fraud._reap_jobs();
    PERFORM fraud._model(p_model_id, p_model_type);
    PERFORM fraud._check_pattern('model_version_number', p_version, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = p_model_id AND x.model_type = p_model_type AND x.model_version_number = p_version;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s', p_model_id, p_model_type, p_version));
    END IF;
    RETURN QUERY SELECT r.model_id, r.model_type, r.model_version_number, r.training_data_source, r.training_data_schema,
                        r.external_events_detail, r.ingested_events_detail, r.status, r.arn
                 FROM fraud._model_version_row(v) r;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_models(p_model_id text, p_model_type text)
 RETURNS TABLE(model_id text, model_type text, description text, event_type_name text, created_time timestamp with time zone, last_updated_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF p_model_type IS NOT NULL THEN
        PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    END IF;
    RETURN QUERY
        SELECT m.model_id, m.model_type, m.description, m.event_type_name, m.created_time, m.last_updated_time,
               fraud._arn('model', m.model_id || '/' || m.model_type)
        FROM fraud.models m
        WHERE (p_model_id IS NULL OR m.model_id = p_model_id) AND (p_model_type IS NULL OR m.model_type = p_model_type)
        ORDER BY m.model_id, m.model_type;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_named(tbl text, kind text, resource_type text, p_name text)
 RETURNS TABLE(name text, description text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_identifier('name', p_name);
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT t.name, t.description, t.last_updated_time, t.created_time, fraud._arn($2, t.name)
         FROM fraud.%I t WHERE $1 IS NULL OR t.name = $1 ORDER BY t.name', tbl)
        USING p_name, resource_type;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found(kind, p_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._get_variables(p_name text)
 RETURNS TABLE(name text, data_type text, data_source text, default_value text, description text, variable_type text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    RETURN QUERY SELECT * FROM fraud._variable_rows(CASE WHEN p_name IS NOT NULL THEN ARRAY[p_name] END);
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('variable', p_name);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._holds(p_role regrole, p_capability text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT bool_and(EXISTS (SELECT 1 FROM pg_catalog.pg_proc p, aclexplode(p.proacl) a
                            WHERE p.oid = f AND a.grantee = p_role AND a.privilege_type = 'EXECUTE'))
    FROM fraud._capability_functions(p_capability) f
$function$
;
CREATE OR REPLACE FUNCTION fraud._import_batch(job_id text, event_type text, roles text[], names text[], types text[], entity_types text[], labels text[], owner oid, file text, staging text, next_row bigint, batch_size integer, "offset" bigint, line bigint)
 RETURNS TABLE(next_row bigint, next_offset bigint, next_line bigint, processed bigint, failed bigint, at_end boolean)
 LANGUAGE c
AS 'MODULE_PATHNAME', $function$import_batch_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._import_columns(event_type_name text, columns text[])
 RETURNS TABLE(name text, role text, data_type text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT c, CASE WHEN lower(c) IN ('event_id', 'event_timestamp', 'entity_id', 'entity_type', 'event_label', 'label_timestamp')
                   THEN upper(c) WHEN v.name IS NOT NULL THEN 'VARIABLE' END,
           v.data_type
    FROM unnest(columns) WITH ORDINALITY u(c, i)
    LEFT JOIN fraud.event_type_variables m ON m.event_type_name = _import_columns.event_type_name AND m.variable_name = lower(c)
    LEFT JOIN fraud.variables v ON v.name = m.variable_name
    ORDER BY i
$function$
;
CREATE OR REPLACE FUNCTION fraud._invalid(field text, value text, why text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    IF length(value) > 100 THEN
        value := left(value, 100) || '...';
    END IF;
    PERFORM fraud._raise('22023', format('invalid %s: %s %s', field, coalesce(quote_literal(value), 'NULL'), why));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._invoker_wrappers()
 RETURNS SETOF text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT unnest(ARRAY['fraud_create_batch_import_job', 'fraud_get_batch_import_jobs', 'fraud_get_batch_import_job_errors',
                        'fraud_cancel_batch_import_job', 'fraud_delete_batch_import_job', 'fraud_create_batch_prediction_job',
                        'fraud_get_batch_prediction_jobs', 'fraud_cancel_batch_prediction_job', 'fraud_delete_batch_prediction_job',
                        'fraud_delete_events_by_event_type', 'fraud_voice_start_fraudster_registration_job',
                        'fraud_voice_describe_fraudster_registration_job', 'fraud_voice_list_fraudster_registration_jobs',
                        'fraud_voice_start_speaker_enrollment_job', 'fraud_voice_describe_speaker_enrollment_job',
                        'fraud_voice_list_speaker_enrollment_jobs', 'fraud_create_backtest_job', 'fraud_get_backtest_jobs',
                        'fraud_cancel_backtest_job', 'fraud_delete_backtest_job', 'fraud_create_model_version',
                        'fraud_update_model_version', 'fraud_put_external_model'])
$function$
;
CREATE OR REPLACE FUNCTION fraud._job_cancel(p_job_type text, p_job_id text, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE j fraud.jobs := fraud._lock_job(p_job_type, p_job_id, p_caller);
BEGIN
    IF NOT fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('job %s is %s and cannot be canceled', quote_literal(p_job_id), j.status));
    END IF;
    IF j.worker_pid IS NULL THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
    ELSE
        UPDATE fraud.jobs x SET status = 'CANCEL_IN_PROGRESS' WHERE x.job_type = p_job_type AND x.job_id = p_job_id;
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_check_worker_role()
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    IF NOT (SELECT r.rolcanlogin FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_extension e ON e.extowner = r.oid
            WHERE e.extname = 'fraud_detector') THEN
        PERFORM fraud._raise('55000', 'job workers connect as the owner of extension fraud_detector, which cannot log in',
                             NULL, 'ALTER ROLE <owner> LOGIN, or ALTER EXTENSION fraud_detector OWNER TO a role that can');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_create(p_job_type text, p_job_id text, p_event_type_name text, p_detector_id text, p_detector_version_id integer, p_input_kind text, p_input_path text, p_output_path text, p_tags jsonb, p_owner oid, p_search_path text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, detector_id, detector_version_id, input_kind,
                            input_path, output_path, owner, search_path)
        VALUES (p_job_type, p_job_id, p_event_type_name, p_detector_id, p_detector_version_id, p_input_kind,
                p_input_path, p_output_path, p_owner::regrole, p_search_path)
        ON CONFLICT ON CONSTRAINT jobs_pkey DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate(lower(replace(p_job_type, '_', ' ')) || ' job', p_job_id);
    END IF;
    PERFORM fraud._set_tags(CASE p_job_type WHEN 'BATCH_IMPORT' THEN 'batch-import' ELSE 'batch-prediction' END,
                            p_job_id, p_tags);
    PERFORM fraud._launch_job_worker();
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_delete(p_job_type text, p_job_id text, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE j fraud.jobs := fraud._lock_job(p_job_type, p_job_id, p_caller);
BEGIN
    IF fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('job %s is %s; cancel it before deleting it', quote_literal(p_job_id), j.status));
    END IF;
    DELETE FROM fraud.batch_import_errors e WHERE e.job_id = p_job_id;
    UPDATE fraud.jobs x SET deleted = true WHERE x.job_type = p_job_type AND x.job_id = p_job_id;
    PERFORM fraud._drop_tags(CASE p_job_type WHEN 'BATCH_IMPORT' THEN 'batch-import' ELSE 'batch-prediction' END, p_job_id);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_drop_staging(job_type text, job_id text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF to_regclass(fraud._job_staging_name(job_type, job_id)) IS NOT NULL THEN
        EXECUTE 'DROP TABLE ' || fraud._job_staging_name(job_type, job_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_finish(j fraud.jobs, final_status text, reason text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    -- a job whose last batch committed is COMPLETE even if a Cancel arrived during that batch;
    -- Voice ID jobs say COMPLETED, or COMPLETED_WITH_ERRORS when a request failed
    UPDATE fraud.jobs x SET status = CASE
            WHEN final_status = 'COMPLETE' AND x.job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT') THEN
                CASE WHEN x.failed_records_count > 0 THEN 'COMPLETED_WITH_ERRORS' ELSE 'COMPLETED' END
            ELSE final_status END, failure_reason = reason, completion_time = clock_timestamp(),
                            last_heartbeat_time = clock_timestamp(), worker_pid = NULL, staging = NULL
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    IF j.job_type = 'MODEL_TRAINING' AND final_status <> 'COMPLETE' THEN
        PERFORM fraud._model_job_ended(j, final_status, reason);
    END IF;
    PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_input(input_path text, field text, p_role oid, p_search_path text, OUT kind text, OUT source text, OUT columns text[], OUT types text[])
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE rel oid; msg text;
BEGIN
    PERFORM fraud._required(field, input_path);
    IF btrim(input_path) = '' THEN
        PERFORM fraud._invalid(field, input_path, '(must name a table, a server-side CSV file or a query)');
    END IF;
    IF left(btrim(input_path), 1) = '/' THEN
        kind := 'FILE';
        source := btrim(input_path);
        BEGIN
            -- read for p_role: 42501 unless it has the privileges of pg_read_server_files
            columns := fraud._csv_header(p_role, source);
        EXCEPTION WHEN undefined_file OR invalid_parameter_value OR io_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._invalid(field, source, format('(cannot read the file: %s)', msg));
        WHEN insufficient_privilege THEN
            -- the message without the CONTEXT of this probe
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._raise('42501', msg);
        END;
        IF columns IS NULL OR cardinality(columns) = 0 OR EXISTS (SELECT 1 FROM unnest(columns) c WHERE c = '') THEN
            PERFORM fraud._invalid(field, source, '(the first line must be a CSV header naming every column)');
        END IF;
        types := array_fill('text'::text, ARRAY[cardinality(columns)]);
        RETURN;
    END IF;
    BEGIN
        rel := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', input_path))::oid;
    EXCEPTION WHEN OTHERS THEN
        rel := NULL;   -- not a name at all: a query
    END;
    IF rel IS NOT NULL THEN
        kind := 'TABLE';
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO source
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
        IF (SELECT relpersistence FROM pg_class WHERE oid = rel) = 't' THEN
            PERFORM fraud._invalid(field, input_path, '(a temporary table is not visible to the job''s background worker)');
        END IF;
        IF NOT has_table_privilege(p_role, rel, 'SELECT') THEN
            PERFORM fraud._raise('42501', format('permission denied for table %s', source));
        END IF;
        IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'r' THEN
            kind := 'QUERY';   -- views, partitioned tables: staged like a query
            source := 'SELECT * FROM ' || source;
        END IF;
    ELSIF btrim(input_path) ~ '^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$' THEN
        PERFORM fraud._invalid(field, input_path, '(no table or view of this name exists)');
    ELSE
        kind := 'QUERY';
        source := btrim(input_path);
    END IF;
    -- the query must parse and plan now, as the job's role, not fail later in the worker
    BEGIN
        SELECT array_agg(d.name ORDER BY d.i), array_agg(d.type_name ORDER BY d.i) INTO columns, types
            FROM fraud._describe_as(p_role, p_search_path,
                                    CASE kind WHEN 'TABLE' THEN 'SELECT * FROM ' || source ELSE source END)
                 WITH ORDINALITY d(name, type_name, i);
    EXCEPTION WHEN insufficient_privilege THEN
        -- PostgreSQL's own message (e.g. "permission denied for schema x"), without the
        -- CONTEXT of this probe
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._raise('42501', msg);
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._invalid(field, input_path, format('(neither a table nor a valid query: %s)', msg));
    END;
    -- every column must be storable (a staging or output table holds it)
    SELECT format('(column %s has type %s, which a table cannot store)', quote_ident(c), t) INTO msg
        FROM unnest(columns, types) u(c, t) JOIN pg_type y ON y.oid = t::regtype WHERE y.typtype = 'p' LIMIT 1;
    IF msg IS NOT NULL THEN
        PERFORM fraud._invalid(field, input_path, msg);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_lock_class()
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT 1718968933 $function$
;
CREATE OR REPLACE FUNCTION fraud._job_output_table(output_path text, p_role oid, p_search_path text, columns text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE out_name text[]; out_table text; out_oid oid; msg text;
BEGIN
    PERFORM fraud._required('output_path', output_path);
    BEGIN
        out_name := parse_ident(output_path);
    EXCEPTION WHEN OTHERS THEN
        PERFORM fraud._invalid('output_path', output_path, '(must be a table name, optionally schema-qualified)');
    END;
    IF cardinality(out_name) > 2 THEN
        PERFORM fraud._invalid('output_path', output_path, '(must be a table name, optionally schema-qualified)');
    END IF;
    out_table := array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(out_name) p), '.');
    IF fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', out_table)) IS NOT NULL THEN
        PERFORM fraud._raise('42P07', format('invalid output_path: table %s already exists (the job creates its output table)', out_table));
    END IF;
    -- created with the caller's rights where the caller's search_path puts it
    BEGIN
        PERFORM fraud._run_as(p_role, p_search_path, format('CREATE TABLE %s (%s)', out_table, columns));
    EXCEPTION WHEN insufficient_privilege THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._raise('42501', msg);
    END;
    out_oid := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', out_table))::oid;
    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO out_table
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = out_oid;
    RETURN out_table;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_stage(j fraud.jobs, staging text)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE inp record; n bigint; cols text;
BEGIN
    inp := fraud._job_input(j.input_path, 'input_path', j.owner, j.search_path);
    cols := (SELECT string_agg(quote_ident(c), ', ' ORDER BY i) FROM unnest(inp.columns) WITH ORDINALITY u(c, i));
    staging := fraud._job_staging_create(j,
        (SELECT string_agg(quote_ident(c) || ' text', ', ' ORDER BY i) FROM unnest(inp.columns) WITH ORDINALITY u(c, i)));
    IF j.input_kind = 'FILE' THEN
        n := fraud._run_as(j.owner, j.search_path,
                           format('COPY %s (%s) FROM %L WITH (FORMAT csv, HEADER true)', staging, cols, j.input_path));
    ELSE
        n := fraud._run_as(j.owner, j.search_path,
                           format(E'INSERT INTO %s (%s) SELECT %s FROM (%s\n) q', staging, cols,
                                  (SELECT string_agg('q.' || quote_ident(c) || '::text', ', ' ORDER BY i)
                                   FROM unnest(inp.columns) WITH ORDINALITY u(c, i)),
                                  CASE j.input_kind WHEN 'TABLE' THEN 'SELECT * FROM ' || j.input_path::regclass ELSE j.input_path END));
    END IF;
    EXECUTE format('CREATE INDEX ON %s (_row)', staging);
    RETURN n;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_staging_create(j fraud.jobs, column_defs text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE staging text := fraud._job_staging_name(j.job_type, j.job_id);
BEGIN
    PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
    EXECUTE format('CREATE UNLOGGED TABLE %s (_row bigint GENERATED ALWAYS AS IDENTITY, %s) WITH (autovacuum_enabled = off)',
                   staging, column_defs);
    EXECUTE format('GRANT SELECT, INSERT ON %s TO %s', staging, j.owner);
    RETURN staging;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_staging_name(job_type text, job_id text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT 'fraud._job_' || md5(job_type || '/' || job_id)
$function$
;
CREATE OR REPLACE FUNCTION fraud._job_visible(job_owner regrole, role oid)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT pg_catalog.pg_has_role(role, job_owner, 'MEMBER')
        OR pg_catalog.has_function_privilege(role, '@extschema@.fraud_put_detector(text, text, text, jsonb)', 'EXECUTE')
$function$
;
CREATE OR REPLACE FUNCTION fraud._job_work()
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
DECLARE j fraud.jobs; me timestamptz; msg text;
BEGIN
    -- our own row of pg_stat_activity is always visible; the start time tells a reused pid apart
    SELECT a.backend_start INTO me FROM pg_stat_activity a WHERE a.pid = pg_backend_pid();
    -- no row lock while the step runs: Cancel and readers never wait for a batch; the step's
    -- closing UPDATE of the counters waits for (and keeps) a concurrent Cancel's status
    SELECT * INTO j FROM fraud.jobs x
        WHERE x.worker_pid = pg_backend_pid() AND x.worker_start = me AND fraud._job_active(x.status);
    IF NOT FOUND THEN
        SELECT * INTO j FROM fraud.jobs x
            WHERE x.status IN ('IN_PROGRESS_INITIALIZING', 'SUBMITTED') AND x.worker_pid IS NULL AND NOT x.deleted
            ORDER BY x.start_time, x.job_id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        UPDATE fraud.jobs x SET worker_pid = pg_backend_pid(), worker_start = me, last_heartbeat_time = clock_timestamp()
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        RETURN true;   -- the claim commits on its own, so others see who holds the job
    END IF;
    IF j.status = 'CANCEL_IN_PROGRESS' THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
        RETURN true;
    END IF;
    -- a job whose owner was dropped cannot run with anyone's rights
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = j.owner) THEN
        PERFORM fraud._job_finish(j, 'FAILED', format('the role that created the job (oid %s) no longer exists', j.owner::oid));
        RETURN true;
    END IF;
    BEGIN
        CASE j.job_type
        WHEN 'BATCH_IMPORT' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._batch_import_init(j);
            ELSE PERFORM fraud._batch_import_step(j);
            END IF;
        WHEN 'BATCH_PREDICTION' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._batch_prediction_init(j);
            ELSE PERFORM fraud._batch_prediction_step(j);
            END IF;
        WHEN 'DELETE_EVENTS' THEN
            PERFORM fraud._delete_events_step(j);
        WHEN 'BACKTEST' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._backtest_init(j);
            ELSE PERFORM fraud._backtest_step(j);
            END IF;
        WHEN 'MODEL_TRAINING' THEN
            PERFORM fraud._model_training_step(j);
        WHEN 'FRAUDSTER_REGISTRATION' THEN
            IF j.status = 'SUBMITTED' THEN PERFORM fraud._voice_job_init(j);
            ELSE PERFORM fraud._voice_registration_step(j);
            END IF;
        WHEN 'SPEAKER_ENROLLMENT' THEN
            IF j.status = 'SUBMITTED' THEN PERFORM fraud._voice_job_init(j);
            ELSE PERFORM fraud._voice_enrollment_step(j);
            END IF;
        END CASE;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- a canceled statement (pg_cancel_backend, statement_timeout) fails the job too, rather
        -- than the worker, which would leave the job and its staging table behind
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._job_finish(j, 'FAILED', msg);
    END;
    RETURN true;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._job_worker_alive(pid integer, started timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
AS $function$
    -- pg_stat_activity is read once per transaction and then kept: without dropping that copy,
    -- a session polling job status in one transaction took a worker started since for a dead
    -- one, failed its job and waited for the live worker's lock on the staging table (deadlock)
    SELECT pg_catalog.pg_stat_clear_snapshot();
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = _job_worker_alive.pid AND a.backend_start = started
                     AND a.backend_type = 'fraud_detector job worker')
$function$
;
CREATE OR REPLACE FUNCTION fraud._job_workers_busy()
 RETURNS bigint
 LANGUAGE sql
AS $function$
    SELECT pg_catalog.pg_stat_clear_snapshot();  -- see fraud._job_worker_alive
    SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = fraud._job_lock_class()::oid AND l.objsubid = 2
      AND l.objid IN (4294967295::oid, 4294967294::oid)   -- the slots -1 and -2
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
      AND a.backend_type = 'fraud_detector job worker'
$function$
;
CREATE OR REPLACE FUNCTION fraud._list_event_predictions(p_event_id jsonb, p_event_type jsonb, p_detector_id jsonb, p_detector_version_id jsonb, p_prediction_time_range jsonb)
 RETURNS TABLE(event_id text, event_type_name text, event_timestamp timestamp with time zone, prediction_timestamp timestamp with time zone, detector_id text, detector_version_id text)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    f_event text := fraud._filter_value('event_id', p_event_id);
    f_type text := fraud._filter_value('event_type', p_event_type);
    f_detector text := fraud._filter_value('detector_id', p_detector_id);
    f_version text := fraud._filter_value('detector_version_id', p_detector_version_id);
    t_start timestamptz; t_end timestamptz;
BEGIN
    IF p_prediction_time_range IS NOT NULL THEN
        IF jsonb_typeof(p_prediction_time_range) <> 'object'
           OR jsonb_typeof(p_prediction_time_range->'startTime') IS DISTINCT FROM 'string'
           OR jsonb_typeof(p_prediction_time_range->'endTime') IS DISTINCT FROM 'string' THEN
            PERFORM fraud._invalid('prediction_time_range', p_prediction_time_range::text,
                                   '(must be {"startTime": timestamp, "endTime": timestamp})');
        END IF;
        t_start := fraud._timestamp('prediction_time_range.startTime', p_prediction_time_range->>'startTime');
        t_end := fraud._timestamp('prediction_time_range.endTime', p_prediction_time_range->>'endTime');
        IF t_end < t_start THEN
            PERFORM fraud._invalid('prediction_time_range', p_prediction_time_range::text, '(endTime is before startTime)');
        END IF;
    END IF;
    RETURN QUERY
    SELECT p.event_id, p.event_type_name, p.event_timestamp, p.prediction_timestamp, p.detector_id,
           p.detector_version_id::text
    FROM fraud.event_predictions p
    WHERE (f_event IS NULL OR p.event_id = f_event)
      AND (f_type IS NULL OR p.event_type_name = f_type)
      AND (f_detector IS NULL OR p.detector_id = f_detector)
      AND (f_version IS NULL OR p.detector_version_id::text = f_version)
      AND (t_start IS NULL OR p.prediction_timestamp BETWEEN t_start AND t_end)
      AND NOT p.shadow
    ORDER BY p.prediction_timestamp DESC, p.prediction_id DESC;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._list_tags_for_resource(p_resource_arn text)
 RETURNS TABLE(key text, value text)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(p_resource_arn);
    RETURN QUERY SELECT t.key, t.value FROM fraud.tags t
        WHERE t.resource_type = r.resource_type AND t.resource_id = r.resource_id ORDER BY t.key;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._lock_job(p_job_type text, p_job_id text, p_caller bigint)
 RETURNS fraud.jobs
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE j fraud.jobs; v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    PERFORM fraud._reap_jobs();
    SELECT * INTO j FROM fraud.jobs x WHERE x.job_type = p_job_type AND x.job_id = p_job_id AND NOT x.deleted FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found(lower(replace(p_job_type, '_', ' ')) || ' job', p_job_id);
    END IF;
    PERFORM fraud._check_job_visible(p_job_id, j.owner, v_role);
    RETURN j;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model(p_model_id text, p_model_type text, p_lock boolean DEFAULT false)
 RETURNS fraud.models
 LANGUAGE plpgsql
AS $function$
DECLARE m fraud.models;
BEGIN
    PERFORM fraud._check_pattern('model_id', p_model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    IF p_lock THEN
        SELECT * INTO m FROM fraud.models x WHERE x.model_id = p_model_id AND x.model_type = p_model_type FOR UPDATE;
    ELSE
        SELECT * INTO m FROM fraud.models x WHERE x.model_id = p_model_id AND x.model_type = p_model_type;
    END IF;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model', p_model_id || '/' || p_model_type);
    END IF;
    RETURN m;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model_external_rows(staging regclass, names text[])
 RETURNS TABLE(event_timestamp text, entity text, event_label text, event_variables text)
 LANGUAGE plpgsql
AS $function$
DECLARE cols text[]; vals text;
BEGIN
    cols := ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = staging AND a.attnum > 0 AND NOT a.attisdropped);
    vals := (SELECT string_agg(coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = lower(n) LIMIT 1), 'NULL::text'),
                               ', ' ORDER BY i)
             FROM unnest(names) WITH ORDINALITY u(n, i));
    RETURN QUERY EXECUTE format(
        'SELECT %s, %s || ''/'' || %s, nullif(%s, ''''), array_to_json(ARRAY[%s])::text FROM %s ORDER BY _row',
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'event_timestamp' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'entity_type' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'entity_id' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'event_label' LIMIT 1), 'NULL::text'),
        coalesce(vals, ''), staging);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model_job_ended(j fraud.jobs, final_status text, reason text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM fraud._train_model_forget(j.job_id);
    UPDATE fraud.model_versions x
        SET status = CASE WHEN final_status = 'CANCELED' THEN 'TRAINING_CANCELLED' ELSE 'ERROR' END,
            failure_reason = CASE WHEN final_status = 'CANCELED' THEN NULL ELSE coalesce(x.failure_reason, reason) END,
            last_updated_time = now()
        WHERE x.model_id = j.config->>'modelId' AND x.model_type = j.config->>'modelType'
          AND x.model_version_number = j.config->>'modelVersionNumber'
          AND x.status IN ('TRAINING_IN_PROGRESS', 'TRAINING_CANCELLED');
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model_job_id(p_model_id text, p_model_type text, p_version text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT md5(p_model_id || '/' || p_model_type || '/' || p_version) $function$
;
CREATE OR REPLACE FUNCTION fraud._model_training_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE v fraud.model_versions; m fraud.models; r jsonb;
BEGIN
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = j.config->>'modelId' AND x.model_type = j.config->>'modelType'
          AND x.model_version_number = j.config->>'modelVersionNumber';
    IF NOT FOUND OR v.status <> 'TRAINING_IN_PROGRESS' THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
        RETURN;
    END IF;
    SELECT * INTO m FROM fraud.models x WHERE x.model_id = v.model_id AND x.model_type = v.model_type;
    IF j.status = 'IN_PROGRESS_INITIALIZING' AND j.input_kind <> 'EVENTS' THEN
        -- external events: a snapshot of the input, read with the creator's rights
        PERFORM fraud._job_stage(j, fraud._job_staging_name(j.job_type, j.job_id));
        UPDATE fraud.jobs x SET staging = fraud._job_staging_name(j.job_type, j.job_id)
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    r := fraud._train_model_step(j.job_id, j.status = 'IN_PROGRESS_INITIALIZING', m.model_type, m.event_type_name,
                                 v.training_data_schema, v.ingested_events_detail, j.input_kind,
                                 CASE WHEN j.input_kind = 'EVENTS' THEN '' ELSE fraud._job_staging_name(j.job_type, j.job_id) END);
    IF j.status = 'IN_PROGRESS_INITIALIZING' AND j.input_kind <> 'EVENTS' THEN
        PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
        UPDATE fraud.jobs x SET staging = NULL WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    IF j.status = 'IN_PROGRESS_INITIALIZING' THEN
        UPDATE fraud.jobs x SET status = 'IN_PROGRESS', total_records_count = (r->>'events')::bigint,
                                processed_records_count = (r->>'events')::bigint, last_heartbeat_time = clock_timestamp()
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    ELSE
        UPDATE fraud.jobs x SET last_heartbeat_time = clock_timestamp() WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    CASE r->>'state'
    WHEN 'training' THEN
        UPDATE fraud.model_versions x SET training_progress = (r->>'progress')::real
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number);
    WHEN 'complete' THEN
        -- only a version still training takes the model: a cancel that committed while this
        -- step ran wins (the row is checked again once the cancel's lock is gone)
        UPDATE fraud.model_versions x SET status = 'TRAINING_COMPLETE', training_progress = 1, model_data = r->>'model',
                                          training_result = r->'report'->'trainingResult',
                                          training_result_v2 = r->'report'->'trainingResultV2', last_updated_time = now()
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number)
              AND x.status = 'TRAINING_IN_PROGRESS';
        IF FOUND THEN
            PERFORM fraud._job_finish(j, 'COMPLETE');
        ELSE
            PERFORM fraud._job_finish(j, 'CANCELED');
        END IF;
    WHEN 'invalid' THEN
        UPDATE fraud.model_versions x SET status = 'ERROR', failure_reason = r->>'reason',
                                          training_result = jsonb_build_object('dataValidationMetrics', r->'validation'),
                                          training_result_v2 = jsonb_build_object('dataValidationMetrics', r->'validation'),
                                          last_updated_time = now()
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number)
              AND x.status = 'TRAINING_IN_PROGRESS';
        IF FOUND THEN
            PERFORM fraud._job_finish(j, 'FAILED', r->>'reason');
        ELSE
            PERFORM fraud._job_finish(j, 'CANCELED');
        END IF;
    END CASE;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model_types()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT ARRAY['ONLINE_FRAUD_INSIGHTS', 'TRANSACTION_FRAUD_INSIGHTS', 'ACCOUNT_TAKEOVER_INSIGHTS']
$function$
;
CREATE OR REPLACE FUNCTION fraud._model_version(p_model_id text, p_model_type text, p_version text)
 RETURNS fraud.model_versions
 LANGUAGE plpgsql
AS $function$
DECLARE v fraud.model_versions;
BEGIN
    PERFORM fraud._model(p_model_id, p_model_type);
    PERFORM fraud._check_pattern('model_version_number', p_version, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = p_model_id AND x.model_type = p_model_type AND x.model_version_number = p_version FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s', p_model_id, p_model_type, p_version));
    END IF;
    RETURN v;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._model_version_row(v fraud.model_versions)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT v.model_id, v.model_type, v.model_version_number, v.status, v.training_data_source, v.training_data_schema,
           v.external_events_detail, v.ingested_events_detail, v.training_result, v.training_result_v2,
           v.training_progress, v.failure_reason, v.last_updated_time, v.created_time,
           fraud._arn('model-version', format('%s/%s/%s', v.model_id, v.model_type, v.model_version_number))
$function$
;
CREATE OR REPLACE FUNCTION fraud._model_version_users(p_model_id text, p_model_type text, p_version text, p_statuses text[])
 RETURNS text[]
 LANGUAGE sql
 STABLE
AS $function$
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id)
    FROM fraud.detector_versions v, jsonb_array_elements(v.model_versions) m
    WHERE m->>'modelId' = p_model_id AND m->>'modelType' = p_model_type
      AND (p_version IS NULL OR m->>'modelVersionNumber' = p_version)
      AND v.status = ANY (p_statuses)
$function$
;
CREATE OR REPLACE FUNCTION fraud._model_versions_arg(model_versions jsonb, p_event_type text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE m jsonb; i int := 0; v record; out jsonb := '[]';
BEGIN
    IF model_versions IS NULL THEN RETURN '[]'; END IF;
    IF jsonb_typeof(model_versions) <> 'array' THEN
        PERFORM fraud._invalid('model_versions', model_versions::text, '(must be an array of {"modelId", "modelType", "modelVersionNumber"})');
    END IF;
    FOR m IN SELECT jsonb_array_elements(model_versions) LOOP
        i := i + 1;
        IF jsonb_typeof(m) <> 'object' THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text, '(must be an object)');
        END IF;
        PERFORM fraud._check_pattern(format('model_versions[%s].modelId', i), m->>'modelId', '^[0-9a-z_]+$', 1, 64);
        PERFORM fraud._check_enum(format('model_versions[%s].modelType', i), m->>'modelType', fraud._model_types());
        PERFORM fraud._check_pattern(format('model_versions[%s].modelVersionNumber', i), m->>'modelVersionNumber',
                                     '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
        SELECT x.status, mo.event_type_name INTO v FROM fraud.model_versions x JOIN fraud.models mo USING (model_id, model_type)
            WHERE x.model_id = m->>'modelId' AND x.model_type = m->>'modelType' AND x.model_version_number = m->>'modelVersionNumber';
        IF NOT FOUND THEN
            PERFORM fraud._not_found('model version', format('%s/%s/%s', m->>'modelId', m->>'modelType', m->>'modelVersionNumber'));
        END IF;
        IF v.event_type_name <> p_event_type THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text,
                                   format('(model %s is for event type %s, the detector for %s)', m->>'modelId',
                                          quote_literal(v.event_type_name), quote_literal(p_event_type)));
        END IF;
        IF v.status <> 'ACTIVE' THEN
            PERFORM fraud._conflict(format('model version %s/%s/%s is %s; a detector version uses ACTIVE model versions only',
                                           m->>'modelId', m->>'modelType', m->>'modelVersionNumber', v.status));
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(out) o WHERE o->>'modelId' = m->>'modelId') THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text,
                                   '(one version per model id: rules name its score $<modelId>_insightscore)');
        END IF;
        out := out || jsonb_build_array(jsonb_build_object(
            'modelId', m->>'modelId', 'modelType', m->>'modelType', 'modelVersionNumber', m->>'modelVersionNumber',
            'arn', fraud._arn('model-version', format('%s/%s/%s', m->>'modelId', m->>'modelType', m->>'modelVersionNumber'))));
    END LOOP;
    RETURN out;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._needed_key_specs()
 RETURNS TABLE(event_type_name text, key_name text, entity_type text, group_by_variable text, with_variables boolean)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, bool_or(s.with_variables)
    FROM (SELECT t.event_type_name, coalesce(a.entity_type, '$' || a.group_by_variable) AS key_name, a.entity_type,
                 a.group_by_variable, fraud._aggregate_reads_variables(a.variable, a.filter) AS with_variables
          FROM fraud.aggregate_variables a JOIN fraud.aggregate_variable_event_types t ON t.aggregate_name = a.name
          UNION ALL
          SELECT m.event_type_name, e.entity_type_name, e.entity_type_name, NULL, true
          FROM fraud.models m JOIN fraud.event_type_entity_types e ON e.event_type_name = m.event_type_name
          WHERE m.model_type <> 'ONLINE_FRAUD_INSIGHTS'
            AND EXISTS (SELECT 1 FROM fraud.model_versions v
                        WHERE (v.model_id, v.model_type) = (m.model_id, m.model_type) AND v.model_data IS NOT NULL)) s
    GROUP BY 1, 2, 3, 4
$function$
;
CREATE OR REPLACE FUNCTION fraud._not_found(kind text, id text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    PERFORM fraud._raise('42704', format('%s %s does not exist', kind, quote_literal(id)));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._prediction_notification(p fraud.event_predictions)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    payload jsonb := jsonb_build_object(
        'predictionId', p.prediction_id, 'eventTypeName', p.event_type_name, 'eventId', p.event_id,
        'eventTimestamp', to_char(p.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'entities', p.entities, 'detectorId', p.detector_id, 'detectorVersionId', p.detector_version_id::text,
        'outcomes', p.metadata->'outcomes', 'modelScores', p.result->'modelScores',
        'predictionTimestamp', to_char(p.prediction_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    left_out text[] := '{}';
    biggest text;
    -- PostgreSQL's NOTIFY_PAYLOAD_MAX_LENGTH: BLCKSZ - NAMEDATALEN - 128, 8000 with 8 kB blocks
    max_bytes constant int := current_setting('block_size')::int - 64 - 128;
BEGIN
    WHILE octet_length(payload::text) >= max_bytes LOOP
        SELECT k INTO biggest FROM unnest(ARRAY['entities', 'outcomes', 'modelScores']) k
            WHERE payload ? k ORDER BY octet_length((payload->k)::text) DESC, k LIMIT 1;
        EXIT WHEN biggest IS NULL;
        left_out := left_out || biggest;
        payload := payload - biggest || jsonb_build_object('truncated', left_out);
    END LOOP;
    RETURN payload::text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._prediction_timestamp(field text, value text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
DECLARE ms bigint;
BEGIN
    PERFORM fraud._required(field, value);
    IF btrim(value) ~ '^[0-9]{1,15}$' THEN
        RETURN timestamptz 'epoch' + btrim(value)::bigint * interval '1 millisecond';
    END IF;
    ms := fraud._event_timestamp_ms(value);
    IF ms IS NULL THEN
        PERFORM fraud._invalid(field, value, '(must be epoch milliseconds or ' || fraud._timestamp_formats() || ')');
    END IF;
    RETURN to_timestamp(ms / 1000.0);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._put_external_model(p_model_endpoint text, p_model_source text, p_invoke_model_endpoint_role_arn text, p_input_configuration jsonb, p_output_configuration jsonb, p_model_endpoint_status text, p_tags jsonb, p_caller bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid; v_path text; fn oid; k text; target text; t text; map jsonb;
BEGIN
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_pattern('model_endpoint', p_model_endpoint, '^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$', 1, 127);
    PERFORM fraud._check_enum('model_source', p_model_source, ARRAY['SAGEMAKER']);
    PERFORM fraud._required('invoke_model_endpoint_role_arn', p_invoke_model_endpoint_role_arn);
    PERFORM fraud._check_enum('model_endpoint_status', p_model_endpoint_status, ARRAY['ASSOCIATED', 'DISSOCIATED']);
    PERFORM fraud._required('input_configuration', p_input_configuration);
    PERFORM fraud._required('output_configuration', p_output_configuration);
    IF jsonb_typeof(p_input_configuration) <> 'object' OR jsonb_typeof(p_input_configuration->'useEventVariables') IS DISTINCT FROM 'boolean' THEN
        PERFORM fraud._invalid('input_configuration', p_input_configuration::text,
                               '(must be {"eventTypeName", "useEventVariables": true|false, "jsonInputTemplate"})');
    END IF;
    IF p_input_configuration->>'eventTypeName' IS NULL THEN
        PERFORM fraud._invalid('input_configuration.eventTypeName', 'NULL', '(the event type whose variables the model reads is required)');
    END IF;
    PERFORM fraud._event_type(p_input_configuration->>'eventTypeName');
    IF coalesce(p_input_configuration->>'format', 'APPLICATION_JSON') <> 'APPLICATION_JSON' THEN
        PERFORM fraud._invalid('input_configuration.format', p_input_configuration->>'format', '(only APPLICATION_JSON: the function takes jsonb)');
    END IF;
    IF NOT (p_input_configuration->>'useEventVariables')::boolean THEN
        IF p_input_configuration->>'jsonInputTemplate' IS NULL OR length(p_input_configuration->>'jsonInputTemplate') NOT BETWEEN 1 AND 2000 THEN
            PERFORM fraud._invalid('input_configuration.jsonInputTemplate', coalesce(p_input_configuration->>'jsonInputTemplate', 'NULL'),
                                   '(1 to 2000 characters, required when useEventVariables is false)');
        END IF;
    END IF;
    IF coalesce(p_output_configuration->>'format', 'APPLICATION_JSONLINES') <> 'APPLICATION_JSONLINES' THEN
        PERFORM fraud._invalid('output_configuration.format', p_output_configuration->>'format', '(only APPLICATION_JSONLINES: the function returns jsonb)');
    END IF;
    map := p_output_configuration->'jsonKeyToVariableMap';
    IF map IS NULL OR jsonb_typeof(map) <> 'object' OR map = '{}' THEN
        PERFORM fraud._invalid('output_configuration.jsonKeyToVariableMap', coalesce(map::text, 'NULL'),
                               '(must map the function''s result keys to EXTERNAL_MODEL_SCORE variables)');
    END IF;
    FOR k, target IN SELECT key, value FROM jsonb_each_text(map) LOOP
        SELECT v.data_source INTO t FROM fraud.variables v WHERE v.name = target;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('variable', target);
        END IF;
        IF t <> 'EXTERNAL_MODEL_SCORE' THEN
            PERFORM fraud._invalid('output_configuration.jsonKeyToVariableMap', target, '(must be a variable with data source EXTERNAL_MODEL_SCORE)');
        END IF;
    END LOOP;
    -- the endpoint's function, as the caller's search_path finds it: schema.fn(jsonb) or fn(jsonb)
    BEGIN
        fn := fraud._query_as(v_role, v_path, format('SELECT pg_catalog.to_regprocedure(%L)::oid', p_model_endpoint || '(jsonb)'))::oid;
    EXCEPTION WHEN OTHERS THEN
        fn := NULL;
    END;
    IF fn IS NULL THEN
        PERFORM fraud._not_found('function', p_model_endpoint || '(jsonb)');
    END IF;
    IF (SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid = fn) <> 'jsonb'::regtype
       OR (SELECT p.proretset FROM pg_catalog.pg_proc p WHERE p.oid = fn) THEN
        PERFORM fraud._invalid('model_endpoint', p_model_endpoint, '(the function must return a single jsonb)');
    END IF;
    IF NOT has_function_privilege(v_role, fn, 'EXECUTE') THEN
        PERFORM fraud._raise('42501', format('permission denied for function %s', fn::regprocedure));
    END IF;
    INSERT INTO fraud.external_models AS x (model_endpoint, model_source, invoke_model_endpoint_role_arn, function,
                                           input_configuration, output_configuration, model_endpoint_status)
        VALUES (p_model_endpoint, p_model_source, p_invoke_model_endpoint_role_arn, fn, p_input_configuration,
                p_output_configuration, p_model_endpoint_status)
        ON CONFLICT (model_endpoint) DO UPDATE SET model_source = excluded.model_source,
            invoke_model_endpoint_role_arn = excluded.invoke_model_endpoint_role_arn, function = excluded.function,
            input_configuration = excluded.input_configuration, output_configuration = excluded.output_configuration,
            model_endpoint_status = excluded.model_endpoint_status, last_updated_time = now();
    IF p_model_endpoint_status = 'DISSOCIATED' THEN
        PERFORM fraud._check_external_model_unused(p_model_endpoint);
    END IF;
    PERFORM fraud._set_tags('external-model', p_model_endpoint, p_tags);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._put_named(tbl text, kind text, resource_type text, p_name text, p_description text, p_tags jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM fraud._check_identifier('name', p_name);
    PERFORM fraud._check_description('description', p_description);
    EXECUTE format(
        'INSERT INTO fraud.%I AS t (name, description) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, last_updated_time = now()', tbl)
        USING p_name, p_description;
    PERFORM fraud._set_tags(resource_type, p_name, p_tags);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._query_as(role oid, search_path text, sql text)
 RETURNS text
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$query_as_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._raise(sqlstate text, message text, detail text DEFAULT NULL::text, hint text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE c
 PARALLEL SAFE
AS 'MODULE_PATHNAME', $function$raise_sql_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._reap_jobs()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE j fraud.jobs;
BEGIN
    IF pg_is_in_recovery() THEN RETURN; END IF;
    FOR j IN SELECT * FROM fraud.jobs x
             WHERE fraud._job_active(x.status) AND x.worker_pid IS NOT NULL
               AND NOT fraud._job_worker_alive(x.worker_pid, x.worker_start)
             FOR UPDATE SKIP LOCKED LOOP
        UPDATE fraud.jobs x SET status = 'FAILED', completion_time = now(), worker_pid = NULL,
            failure_reason = format('the job''s worker (pid %s) stopped before the job finished (killed, crashed or server shut down); '
                                    || '%s of %s records were processed in batches that committed, the batch in flight was rolled back',
                                    j.worker_pid, j.processed_records_count, coalesce(j.total_records_count::text, 'unknown'))
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        IF j.job_type = 'MODEL_TRAINING' THEN
            PERFORM fraud._model_job_ended(j, 'FAILED', format('the training job''s worker (pid %s) stopped before training finished (killed, crashed or server shut down)', j.worker_pid));
        END IF;
        PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
    END LOOP;
    IF EXISTS (SELECT 1 FROM fraud.jobs x WHERE x.status IN ('IN_PROGRESS_INITIALIZING', 'SUBMITTED') AND x.worker_pid IS NULL
                                          AND NOT x.deleted AND x.start_time < now() - interval '1 second')
       AND fraud._job_workers_busy() < 2 THEN
        PERFORM fraud._launch_job_worker();
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._redeem_caller(token bigint)
 RETURNS TABLE(role oid, search_path text)
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$redeem_caller_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._replay(detector_id text, detector_version_id text, event_variables jsonb, entities jsonb, event_timestamp timestamp with time zone)
 RETURNS fraud.replayed
 LANGUAGE c
 STABLE PARALLEL SAFE COST 1000
AS 'MODULE_PATHNAME', $function$replay_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._required(field text, value anyelement)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
    IF value IS NULL THEN
        PERFORM fraud._raise('22023', format('invalid %s: NULL (%s is required)', field, field));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._resource_exists(resource_type text, resource_id text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE parts text[] := string_to_array(resource_id, '/');
BEGIN
    CASE resource_type
    WHEN 'entity-type' THEN RETURN EXISTS (SELECT 1 FROM fraud.entity_types WHERE name = resource_id);
    WHEN 'event-type'  THEN RETURN EXISTS (SELECT 1 FROM fraud.event_types WHERE name = resource_id);
    WHEN 'variable'    THEN RETURN EXISTS (SELECT 1 FROM fraud.variables WHERE name = resource_id);
    WHEN 'label'       THEN RETURN EXISTS (SELECT 1 FROM fraud.labels WHERE name = resource_id);
    WHEN 'outcome'     THEN RETURN EXISTS (SELECT 1 FROM fraud.outcomes WHERE name = resource_id);
    WHEN 'list'        THEN RETURN EXISTS (SELECT 1 FROM fraud.lists WHERE name = resource_id);
    WHEN 'detector'    THEN RETURN EXISTS (SELECT 1 FROM fraud.detectors WHERE detector_id = resource_id);
    WHEN 'detector-version' THEN
        RETURN cardinality(parts) = 2 AND parts[2] ~ '^[1-9][0-9]{0,4}$' AND EXISTS (
            SELECT 1 FROM fraud.detector_versions
            WHERE detector_id = parts[1] AND detector_version_id = parts[2]::int);
    WHEN 'rule' THEN
        RETURN cardinality(parts) = 3 AND parts[3] ~ '^[1-9][0-9]{0,4}$' AND EXISTS (
            SELECT 1 FROM fraud.rule_versions
            WHERE detector_id = parts[1] AND rule_id = parts[2] AND rule_version = parts[3]::int);
    WHEN 'model' THEN
        RETURN cardinality(parts) = 2 AND EXISTS (SELECT 1 FROM fraud.models WHERE model_id = parts[1] AND model_type = parts[2]);
    WHEN 'model-version' THEN
        RETURN cardinality(parts) = 3 AND EXISTS (
            SELECT 1 FROM fraud.model_versions WHERE model_id = parts[1] AND model_type = parts[2] AND model_version_number = parts[3]);
    WHEN 'external-model' THEN RETURN EXISTS (SELECT 1 FROM fraud.external_models WHERE model_endpoint = resource_id);
    WHEN 'voice-domain' THEN RETURN EXISTS (SELECT 1 FROM fraud.voice_domains WHERE domain_id = resource_id);
    WHEN 'batch-import' THEN
        RETURN EXISTS (SELECT 1 FROM fraud.jobs WHERE job_type = 'BATCH_IMPORT' AND job_id = resource_id AND NOT deleted);
    WHEN 'batch-prediction' THEN
        RETURN EXISTS (SELECT 1 FROM fraud.jobs WHERE job_type = 'BATCH_PREDICTION' AND job_id = resource_id AND NOT deleted);
    ELSE RETURN false;
    END CASE;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._rule_stats(p_detector_id text, p_from timestamp with time zone, p_to timestamp with time zone, p_fraud_labels text[])
 RETURNS TABLE(detector_version_id text, shadow boolean, rule_id text, rule_version text, predictions bigint, evaluated bigint, matched bigint, labeled_matched bigint, matched_fraud bigint, "precision" double precision)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    PERFORM fraud._required('from', p_from);
    PERFORM fraud._required('to', p_to);
    IF p_to < p_from THEN
        PERFORM fraud._invalid('to', p_to::text, format('(before from, %s)', p_from));
    END IF;
    PERFORM fraud._check_flat('fraud_labels', p_fraud_labels);
    PERFORM fraud._check_names('fraud_labels', p_fraud_labels, 1);
    PERFORM fraud._check_exist('label', 'labels', p_fraud_labels);
    RETURN QUERY
    WITH p AS (
        SELECT x.detector_version_id AS version, x.shadow AS is_shadow, x.metadata->'rules' AS rules, e.event_label AS label
        FROM fraud.event_predictions x
        LEFT JOIN fraud.events e ON e.event_type_name = x.event_type_name AND e.event_id = x.event_id
        WHERE x.detector_id = p_detector_id AND x.prediction_timestamp >= p_from AND x.prediction_timestamp < p_to
    ), n AS (
        SELECT p.version, p.is_shadow, count(*) AS predictions FROM p GROUP BY p.version, p.is_shadow
    ), r AS (
        SELECT p.version, p.is_shadow, r.rule->>'ruleId' AS rule, r.rule->>'ruleVersion' AS rule_version_text, r.pos,
               (r.rule->>'evaluated')::boolean AS was_evaluated, (r.rule->>'matched')::boolean AS was_matched, p.label
        FROM p CROSS JOIN LATERAL jsonb_array_elements(p.rules) WITH ORDINALITY r(rule, pos)
    )
    SELECT r.version::text, r.is_shadow, r.rule, r.rule_version_text, n.predictions,
           count(*) FILTER (WHERE r.was_evaluated),
           count(*) FILTER (WHERE r.was_matched),
           count(*) FILTER (WHERE r.was_matched AND r.label IS NOT NULL),
           count(*) FILTER (WHERE r.was_matched AND r.label = ANY (p_fraud_labels)),
           count(*) FILTER (WHERE r.was_matched AND r.label = ANY (p_fraud_labels))::double precision
               / nullif(count(*) FILTER (WHERE r.was_matched AND r.label IS NOT NULL), 0)
    FROM r JOIN n ON n.version = r.version AND n.is_shadow = r.is_shadow
    GROUP BY r.version, r.is_shadow, r.rule, r.rule_version_text, n.predictions
    ORDER BY r.version, r.is_shadow, min(r.pos), r.rule, r.rule_version_text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._run_as(role oid, search_path text, sql text)
 RETURNS bigint
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$run_as_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._score(detector_id text, event jsonb, detector_version_id text, explain boolean)
 RETURNS fraud.scored
 LANGUAGE c
 STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', $function$score_all_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._score_historical(detector_id text, event jsonb, detector_version_id text)
 RETURNS fraud.scored
 LANGUAGE c
 STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', $function$score_historical_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._secure_api()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE f record;
BEGIN
    REVOKE ALL ON SCHEMA fraud FROM PUBLIC;
    FOR f IN SELECT * FROM fraud._api_functions() LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.signature);
        IF f.language IN ('sql', 'plpgsql')
           AND ((f.schema_name <> 'fraud' AND f.function_name NOT IN (SELECT fraud._invoker_wrappers()))
                OR (f.schema_name = 'fraud' AND 'p_caller' = ANY (f.args))) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f.signature);
        END IF;
    END LOOP;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._set_tags(resource_type text, resource_id text, tags jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE t record; n int; dup text;
BEGIN
    IF tags IS NULL THEN RETURN; END IF;
    FOR t IN SELECT * FROM fraud._tag_pairs(tags) LOOP
        PERFORM fraud._check_pattern('tag key', t.key, '^([[:alpha:][:space:][:digit:]_.:/=+\-@]*)$', 1, 128);
        IF length(t.value) > 256 THEN
            PERFORM fraud._invalid('tag value', t.value, '(length must be 0 to 256 characters)');
        END IF;
    END LOOP;
    SELECT p.key INTO dup FROM fraud._tag_pairs(tags) p GROUP BY p.key HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fraud._invalid('tags', tags::text, format('(key %s appears more than once)', quote_literal(dup)));
    END IF;
    IF (SELECT count(*) FROM fraud._tag_pairs(tags)) > 200 THEN
        PERFORM fraud._invalid('tags', tags::text, '(at most 200 tags)');
    END IF;
    INSERT INTO fraud.tags(resource_type, resource_id, key, value)
        SELECT _set_tags.resource_type, _set_tags.resource_id, p.key, p.value FROM fraud._tag_pairs(tags) p
        ON CONFLICT ON CONSTRAINT tags_pkey DO UPDATE SET value = EXCLUDED.value;
    SELECT count(*) INTO n FROM fraud.tags g
        WHERE g.resource_type = _set_tags.resource_type AND g.resource_id = _set_tags.resource_id;
    IF n > 200 THEN
        PERFORM fraud._raise('54000', format('too many tags on %s: %s (at most 200)', fraud._arn(resource_type, resource_id), n));
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._some_names(kind text, names text[])
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT CASE WHEN cardinality(names) = 1 THEN kind || ' ' || names[1]
                ELSE kind || 's ' || array_to_string(names[1:5], ', ')
                     || CASE WHEN cardinality(names) > 5 THEN format(' and %s more', cardinality(names) - 5) ELSE '' END
           END
$function$
;
CREATE OR REPLACE FUNCTION fraud._start_model_version(m fraud.models, p_source text, p_schema jsonb, p_external jsonb, p_ingested jsonb, p_tags jsonb, p_caller bigint)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid; v_path text; n int; version text; inp record; kind text := 'EVENTS'; source text := '';
BEGIN
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    p_schema := fraud._check_training_request(m, p_source, p_schema, p_external, p_ingested);
    IF p_source = 'EXTERNAL_EVENTS' THEN
        inp := fraud._job_input(p_external->>'dataLocation', 'external_events_detail.dataLocation', v_role, v_path);
        kind := inp.kind;
        source := inp.source;
    END IF;
    SELECT coalesce(max(x.major), 0) + 1 INTO n FROM fraud.model_versions x
        WHERE x.model_id = m.model_id AND x.model_type = m.model_type;
    IF n > 9999 THEN
        PERFORM fraud._raise('54000', format('model %s/%s has 9999 major versions', m.model_id, m.model_type));
    END IF;
    version := n || '.0';
    INSERT INTO fraud.model_versions (model_id, model_type, model_version_number, major, minor, training_data_source,
                                      training_data_schema, external_events_detail, ingested_events_detail)
        VALUES (m.model_id, m.model_type, version, n, 0, p_source, p_schema, p_external, p_ingested);
    PERFORM fraud._set_tags('model-version', format('%s/%s/%s', m.model_id, m.model_type, version), p_tags);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, input_kind, input_path, owner, search_path, config)
        VALUES ('MODEL_TRAINING', fraud._model_job_id(m.model_id, m.model_type, version), m.event_type_name, kind, source,
                v_role::regrole, v_path,
                jsonb_build_object('modelId', m.model_id, 'modelType', m.model_type, 'modelVersionNumber', version))
        ON CONFLICT ON CONSTRAINT jobs_pkey DO UPDATE
            SET status = 'IN_PROGRESS_INITIALIZING', input_kind = excluded.input_kind, input_path = excluded.input_path,
                owner = excluded.owner, search_path = excluded.search_path, deleted = false, worker_pid = NULL,
                failure_reason = NULL, completion_time = NULL, start_time = now(), processed_records_count = 0,
                failed_records_count = 0, total_records_count = NULL;
    PERFORM fraud._launch_job_worker();
    RETURN QUERY SELECT m.model_id, m.model_type, version, 'TRAINING_IN_PROGRESS'::text;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._sync_event_keys()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    -- a Citus worker applying the coordinator's change: it never scores with stored events
    -- (docs/scale-out.md), its event keys stay empty
    IF fraud._cluster_applying() THEN
        RETURN NULL;
    END IF;
    PERFORM fraud._sync_event_keys_now();
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._sync_event_keys_now()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE added text[];
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM fraud._raise('0A000', 'aggregate variables are created and deleted in READ COMMITTED transactions',
                             'Their keys are read from the stored events with a snapshot taken after locking them.', NULL);
    END IF;
    -- stored events distributed on Citus: no node holds all the events of a key, so nothing may
    -- need them (docs/scale-out.md); fraud.events is not locked (a Citus table)
    IF fraud._events_distributed() THEN
        IF EXISTS (SELECT 1 FROM fraud._needed_key_specs()) THEN
            PERFORM fraud._raise('0A000', 'aggregate variables and history-reading models need the stored events on the coordinator, and fraud.events is distributed',
                                 'See docs/scale-out.md, "Stored events".', NULL);
        END IF;
        DELETE FROM fraud.event_key_specs;
        DELETE FROM fraud.event_keys;
        RETURN;
    END IF;
    LOCK TABLE fraud.events IN SHARE MODE;
    WITH gone AS (
        DELETE FROM fraud.event_key_specs s
        WHERE NOT EXISTS (SELECT 1 FROM fraud._needed_key_specs() x
                          WHERE (x.event_type_name, x.key_name, x.with_variables) = (s.event_type_name, s.key_name, s.with_variables))
        RETURNING s.event_type_name, s.key_name)
    DELETE FROM fraud.event_keys k USING gone g WHERE k.key_name = g.key_name AND k.event_type_name = g.event_type_name;
    WITH new_specs AS (
        INSERT INTO fraud.event_key_specs
        SELECT x.* FROM fraud._needed_key_specs() x
        WHERE NOT EXISTS (SELECT 1 FROM fraud.event_key_specs s WHERE (x.event_type_name, x.key_name) = (s.event_type_name, s.key_name))
        RETURNING event_type_name || '/' || key_name AS spec)
    SELECT array_agg(spec) INTO added FROM new_specs;
    -- event type names have no '/'
    INSERT INTO fraud.event_keys
    SELECT k.* FROM fraud.events n
    CROSS JOIN LATERAL fraud._event_keys_of(n.event_type_name, n.event_id, n.event_timestamp, n.entities,
                                            n.event_variables, n.event_label, n.label_timestamp) k
    WHERE n.event_type_name = ANY (SELECT split_part(a, '/', 1) FROM unnest(added) a)
      AND k.event_type_name || '/' || k.key_name = ANY (added);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._sync_model_event_keys()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF fraud._cluster_applying() THEN
        RETURN NULL; -- a Citus worker applying the coordinator's change (fraud._sync_event_keys)
    END IF;
    IF EXISTS (SELECT * FROM fraud._needed_key_specs()
               EXCEPT SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, s.with_variables
                      FROM fraud.event_key_specs s)
       OR EXISTS (SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, s.with_variables
                  FROM fraud.event_key_specs s
                  EXCEPT SELECT * FROM fraud._needed_key_specs()) THEN
        PERFORM fraud._sync_event_keys_now();
    END IF;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._timestamp(field text, value text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
DECLARE ms bigint;
BEGIN
    PERFORM fraud._required(field, value);
    ms := fraud._event_timestamp_ms(value);
    IF ms IS NULL THEN
        PERFORM fraud._invalid(field, value, '(must be ' || fraud._timestamp_formats() || ')');
    END IF;
    RETURN to_timestamp(ms / 1000.0);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._timestamp_formats()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT 'ISO 8601 such as 2024-05-01T12:00:00Z or 2024-05-01 14:00:00+02, UTC when it has no offset; '
           'or yyyy/mm/dd hh:mm:ss, mm/dd/yyyy hh:mm[:ss] or dd/mm/yyyy hh:mm[:ss], AM/PM allowed after the seconds'
$function$
;
CREATE OR REPLACE FUNCTION fraud._train_model_forget(job_id text)
 RETURNS void
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$train_model_forget_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._train_model_step(job_id text, first boolean, model_type text, event_type text, schema jsonb, ingested jsonb, input_kind text, input_path text)
 RETURNS jsonb
 LANGUAGE c
AS 'MODULE_PATHNAME', $function$train_model_step_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._update_model_version(p_model_id text, p_model_type text, p_major_version_number text, p_external_events_detail jsonb, p_ingested_events_detail jsonb, p_tags jsonb, p_caller bigint)
 RETURNS TABLE(model_id text, model_type text, model_version_number text, status text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE m fraud.models := fraud._model(p_model_id, p_model_type, true); v fraud.model_versions;
BEGIN
    PERFORM fraud._check_pattern('major_version_number', p_major_version_number, '^([1-9][0-9]*)$', 1, 5);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = m.model_id AND x.model_type = m.model_type AND x.major = p_major_version_number::int
        ORDER BY x.minor DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s.x', p_model_id, p_model_type, p_major_version_number));
    END IF;
    RETURN QUERY SELECT * FROM fraud._start_model_version(m,
        CASE WHEN p_external_events_detail IS NOT NULL THEN 'EXTERNAL_EVENTS'
             WHEN p_ingested_events_detail IS NOT NULL THEN 'INGESTED_EVENTS' ELSE v.training_data_source END,
        v.training_data_schema,
        CASE WHEN p_ingested_events_detail IS NULL THEN coalesce(p_external_events_detail, v.external_events_detail) END,
        CASE WHEN p_external_events_detail IS NULL THEN coalesce(p_ingested_events_detail, v.ingested_events_detail) END,
        p_tags, p_caller);
END $function$
;
CREATE OR REPLACE FUNCTION fraud._variable_rows(names text[])
 RETURNS TABLE(name text, data_type text, data_source text, default_value text, description text, variable_type text, last_updated_time timestamp with time zone, created_time timestamp with time zone, arn text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT v.name, v.data_type, v.data_source, v.default_value, v.description, v.variable_type,
           v.last_updated_time, v.created_time, fraud._arn('variable', v.name)
    FROM fraud.variables v
    WHERE names IS NULL OR v.name = ANY (names)
    ORDER BY v.name
$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_changing()
 RETURNS trigger
 LANGUAGE c
AS 'MODULE_PATHNAME', $function$_voice_changing_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_create_domain(p_name text, p_embedding_dimension integer, p_description text, p_cos_at_50 real, p_cos_at_90 real, p_authentication_min_speech_seconds real, p_tags jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE id text := fraud._voice_new_id();
BEGIN
    PERFORM fraud._voice_check_name('name', p_name);
    PERFORM fraud._voice_check_description('description', p_description);
    PERFORM fraud._required('embedding_dimension', p_embedding_dimension);
    IF p_embedding_dimension NOT BETWEEN 1 AND 4096 THEN
        PERFORM fraud._invalid('embedding_dimension', p_embedding_dimension::text, '(must be 1 to 4096)');
    END IF;
    PERFORM fraud._voice_check_calibration(p_cos_at_50, p_cos_at_90, p_authentication_min_speech_seconds);
    INSERT INTO fraud.voice_domains (domain_id, name, description, embedding_dimension, cos_at_50, cos_at_90,
                                     authentication_min_speech_seconds)
        VALUES (id, p_name, p_description, p_embedding_dimension, p_cos_at_50, p_cos_at_90,
                p_authentication_min_speech_seconds);
    INSERT INTO fraud.voice_watchlists (domain_id, watchlist_id, name, description, default_watchlist)
        VALUES (id, fraud._voice_new_id(), 'default', 'Default watchlist', true);
    PERFORM fraud._set_tags('voice-domain', id, p_tags);
    RETURN id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_enrollment_config(d fraud.voice_domains, config jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE c jsonb := coalesce(config, '{}'); f jsonb; t jsonb;
BEGIN
    IF jsonb_typeof(c) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(c) k
            WHERE k NOT IN ('ExistingEnrollmentAction', 'FraudDetectionConfig')) THEN
        PERFORM fraud._invalid('enrollment_config', c::text, '(must be {"ExistingEnrollmentAction", "FraudDetectionConfig"})');
    END IF;
    PERFORM fraud._check_enum('ExistingEnrollmentAction', coalesce(c->>'ExistingEnrollmentAction', 'SKIP'), ARRAY['SKIP', 'OVERWRITE']);
    -- the fraud check always runs (FraudDetectionAction defaults to FAIL, docs/voice-id.md
    -- "Jobs"), so an absent FraudDetectionConfig gets every default, not no check
    f := coalesce(c->'FraudDetectionConfig', '{}');
    IF jsonb_typeof(f) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(f) k
            WHERE k NOT IN ('FraudDetectionAction', 'RiskThreshold', 'WatchlistIds')) THEN
        PERFORM fraud._invalid('FraudDetectionConfig', f::text, '(must be {"FraudDetectionAction", "RiskThreshold", "WatchlistIds"})');
    END IF;
    PERFORM fraud._check_enum('FraudDetectionAction', coalesce(f->>'FraudDetectionAction', 'FAIL'), ARRAY['IGNORE', 'FAIL']);
    t := coalesce(f->'RiskThreshold', '50');
    IF jsonb_typeof(t) <> 'number' OR t::text !~ '^[0-9]+$' OR t::text::numeric > 100 THEN
        PERFORM fraud._invalid('RiskThreshold', t::text, '(must be an integer 0 to 100)');
    END IF;
    RETURN jsonb_build_object('ExistingEnrollmentAction', coalesce(c->>'ExistingEnrollmentAction', 'SKIP'),
        'FraudDetectionConfig', jsonb_build_object(
            'FraudDetectionAction', coalesce(f->>'FraudDetectionAction', 'FAIL'), 'RiskThreshold', t,
            'WatchlistIds', jsonb_build_array(fraud._voice_config_watchlist(d, f->'WatchlistIds'))));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_enrollment_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    d fraud.voice_domains := fraud._voice_domain(j.domain_id);
    existing_action text := j.config->>'ExistingEnrollmentAction';
    -- a job queued by version 0.1.0 may have no FraudDetectionConfig: it gets the defaults too
    check_config jsonb := coalesce(j.config->'FraudDetectionConfig', fraud._voice_enrollment_config(d, j.config)->'FraudDetectionConfig');
    hi bigint := least(j.end_position, j.next_position + j.batch_size);
    r record; v real[]; s fraud.voice_speakers; fid text; cos real; risk int; result jsonb; sid text;
    rows bigint[] := '{}'; request_ids text[] := '{}'; results jsonb[] := '{}'; failed bigint := 0;
BEGIN
    FOR r IN EXECUTE format('SELECT * FROM %s s WHERE s._row > $1 AND s._row <= $2 ORDER BY s._row', fraud._job_staging_name(j.job_type, j.job_id))
             USING j.next_position, hi LOOP
        BEGIN
            IF r.request_id IS NULL OR r.request_id !~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' OR length(r.request_id) > 256 THEN
                PERFORM fraud._invalid('RequestId', r.request_id, '(a speaker id: must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$)');
            END IF;
            v := fraud._voice_normalize('Embedding', r.embedding, d.embedding_dimension);
            IF r.speech_seconds IS NULL OR r.speech_seconds < 30 THEN
                PERFORM fraud._invalid('SpeechSeconds', r.speech_seconds::text, '(enrolment needs at least 30 seconds of speech)');
            END IF;
            s := fraud._voice_speaker_lookup(d.domain_id, r.request_id);
            IF s.status = 'OPTED_OUT' THEN
                RAISE EXCEPTION 'speaker % has opted out (SPEAKER_OPTED_OUT)', quote_literal(r.request_id) USING ERRCODE = 'object_in_use';
            END IF;
            IF s.status = 'ENROLLED' AND existing_action = 'SKIP' THEN
                result := jsonb_build_object('RequestId', r.request_id, 'GeneratedSpeakerId', s.generated_speaker_id,
                                             'EnrollmentStatus', 'ENROLLMENT_SKIPPED');
            ELSE
                IF check_config->>'FraudDetectionAction' = 'FAIL' THEN
                    fid := NULL;
                    SELECT n.fraudster_id, n.normalized_cosine INTO fid, cos
                        FROM fraud._voice_nearest_normalized(d.domain_id, v, check_config->'WatchlistIds'->>0, d.cos_at_50) n;
                    risk := CASE WHEN fid IS NULL THEN 0 ELSE fraud._voice_calibrate(cos, d.cos_at_50, d.cos_at_90) END;
                    IF risk >= (check_config->>'RiskThreshold')::int THEN
                        RAISE EXCEPTION 'the speaker matches fraudster % with risk score % (FraudDetectionAction FAIL)', fid, risk
                            USING ERRCODE = 'object_in_use';
                    END IF;
                END IF;
                sid := coalesce(s.generated_speaker_id, 'id#' || fraud._voice_new_id());
                INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status, embedding, speech_seconds)
                    VALUES (d.domain_id, sid, r.request_id, 'ENROLLED', v, r.speech_seconds)
                    ON CONFLICT (generated_speaker_id) DO UPDATE SET status = 'ENROLLED', embedding = EXCLUDED.embedding,
                        speech_seconds = EXCLUDED.speech_seconds, updated_at = now();
                result := jsonb_build_object('RequestId', r.request_id, 'GeneratedSpeakerId', sid,
                                             'EnrollmentStatus', CASE WHEN s.status = 'ENROLLED' THEN 'OVERWRITTEN' ELSE 'NEW_ENROLLMENT' END);
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            result := fraud._voice_request_error(r.request_id, 400, SQLERRM);
            failed := failed + 1;
        WHEN object_in_use THEN
            result := fraud._voice_request_error(r.request_id, 409, SQLERRM);
            failed := failed + 1;
        END;
        rows := rows || r._row; request_ids := request_ids || r.request_id; results := results || result;
    END LOOP;
    INSERT INTO fraud.voice_job_results (job_type, job_id, row_number, request_id, result)
        SELECT j.job_type, j.job_id, x.rn, x.rid, x.res FROM unnest(rows, request_ids, results) x(rn, rid, res);
    PERFORM fraud._job_progress(j, hi, cardinality(rows), failed);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_fraudsters_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE c record; old_stamp bigint; new_stamp bigint;
BEGIN
    -- a Citus worker applying the coordinator's change receives its stamps too (sql/citus.sql)
    IF fraud._cluster_applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE fraud.voice_domains d SET fraudsters_stamp = nextval('fraud.voice_stamps');
        RETURN NULL;
    END IF;
    FOR c IN EXECUTE format(
        'SELECT t.domain_id, array_agg(DISTINCT t.fraudster_id) AS ids FROM (%s) t GROUP BY t.domain_id ORDER BY t.domain_id',
        CASE TG_OP WHEN 'INSERT' THEN 'SELECT domain_id, fraudster_id FROM new_rows'
                   WHEN 'DELETE' THEN 'SELECT domain_id, fraudster_id FROM old_rows'
                   ELSE 'SELECT domain_id, fraudster_id FROM new_rows UNION ALL SELECT domain_id, fraudster_id FROM old_rows' END) LOOP
        -- the latest committed stamp, locked: the link's previous stamp
        SELECT d.fraudsters_stamp INTO old_stamp FROM fraud.voice_domains d WHERE d.domain_id = c.domain_id FOR UPDATE;
        CONTINUE WHEN NOT FOUND; -- the domain itself is being deleted
        new_stamp := nextval('fraud.voice_stamps');
        UPDATE fraud.voice_domains d SET fraudsters_stamp = new_stamp WHERE d.domain_id = c.domain_id;
        INSERT INTO fraud.voice_fraudster_changes (domain_id, stamp, previous_stamp, fraudster_ids)
            VALUES (c.domain_id, new_stamp, old_stamp, CASE WHEN cardinality(c.ids) <= 10000 THEN c.ids END);
        -- the chain is kept to its latest 200 links (a few index entries read per change)
        DELETE FROM fraud.voice_fraudster_changes x
            WHERE x.domain_id = c.domain_id
              AND x.stamp < (SELECT y.stamp FROM fraud.voice_fraudster_changes y WHERE y.domain_id = c.domain_id
                             ORDER BY y.stamp DESC OFFSET 199 LIMIT 1);
    END LOOP;
    RETURN NULL;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_index_counts()
 RETURNS TABLE(full_loads bigint, brought_forward bigint, mapped bigint)
 LANGUAGE c
 STRICT
AS 'MODULE_PATHNAME', $function$voice_index_counts_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_job_init(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE v_staging text; n bigint;
        key text := CASE j.job_type WHEN 'FRAUDSTER_REGISTRATION' THEN 'FraudsterRegistrationRequests'
                                    ELSE 'SpeakerEnrollmentRequests' END;
BEGIN
    -- the requests are read as the job's owner (src/security.rs), into a table of ours
    v_staging := fraud._job_staging_create(j, 'request_id text, embedding real[], speech_seconds real');
    IF j.input_kind = 'FILE' THEN
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (request_id, embedding, speech_seconds)
            SELECT r->>'RequestId' AS request_id,
                   CASE WHEN jsonb_typeof(r->'Embedding') = 'array'
                         AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r->'Embedding') e WHERE jsonb_typeof(e) <> 'number')
                        THEN ARRAY(SELECT e::text::real FROM jsonb_array_elements(r->'Embedding') e) END AS embedding,
                   CASE WHEN jsonb_typeof(r->'SpeechSeconds') = 'number' THEN (r->>'SpeechSeconds')::real END AS speech_seconds
            FROM jsonb_array_elements(pg_catalog.pg_read_file(%L)::jsonb->%L) WITH ORDINALITY x(r, i)
            ORDER BY i$q$, v_staging, j.input_path, key));
    ELSE
        n := fraud._run_as(j.owner, j.search_path, format(
            'INSERT INTO %s (request_id, embedding, speech_seconds)
             SELECT q.request_id::text, q.embedding::real[], q.speech_seconds::real FROM (%s
             ) q',
            v_staging, CASE j.input_kind WHEN 'TABLE' THEN 'SELECT * FROM ' || j.input_path::regclass ELSE j.input_path END));
    END IF;
    EXECUTE format('CREATE INDEX ON %s (_row)', v_staging);
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = n, end_position = n,
                            next_position = 0, last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_job_source(job_type text, input_data_config jsonb, p_role oid, p_search_path text, OUT kind text, OUT source text)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE uri text; inp record; manifest jsonb; msg text;
        key text := CASE job_type WHEN 'FRAUDSTER_REGISTRATION' THEN 'FraudsterRegistrationRequests'
                                    ELSE 'SpeakerEnrollmentRequests' END;
BEGIN
    PERFORM fraud._required('input_data_config', input_data_config);
    IF jsonb_typeof(input_data_config) <> 'object' OR jsonb_typeof(input_data_config->'S3Uri') IS DISTINCT FROM 'string' THEN
        PERFORM fraud._invalid('input_data_config', input_data_config::text, '(must be {"S3Uri": a table, a query or a manifest file path})');
    END IF;
    uri := btrim(input_data_config->>'S3Uri');
    IF uri = '' THEN
        PERFORM fraud._invalid('input_data_config', input_data_config::text, '(S3Uri must name a table, a query or a manifest file path)');
    END IF;
    IF left(uri, 1) = '/' THEN
        BEGIN
            manifest := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.pg_read_file(%L)', uri))::jsonb;
        EXCEPTION WHEN undefined_file OR invalid_text_representation OR io_error OR invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._invalid('input_data_config', uri, format('(cannot read the manifest: %s)', msg));
        WHEN insufficient_privilege THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._raise('42501', msg);
        END;
        IF jsonb_typeof(manifest->key) IS DISTINCT FROM 'array' THEN
            PERFORM fraud._invalid('input_data_config', uri, format('(the manifest has no %s array)', key));
        END IF;
        kind := 'FILE';
        source := uri;
        RETURN;
    END IF;
    inp := fraud._job_input(uri, 'input_data_config', p_role, p_search_path);
    IF NOT (ARRAY['request_id', 'embedding', 'speech_seconds'] <@ inp.columns) THEN
        PERFORM fraud._invalid('input_data_config', uri, '(the input needs columns request_id, embedding and speech_seconds)');
    END IF;
    kind := inp.kind;
    source := inp.source;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_jobs(p_job_type text, p_domain_id text, p_job_id text, p_job_status text, p_caller bigint)
 RETURNS TABLE(job_id text, job_name text, domain_id text, job_status text, created_at timestamp with time zone, ended_at timestamp with time zone, input_data_config jsonb, config jsonb, job_progress jsonb, failure_details jsonb, processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._voice_domain(p_domain_id);
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._voice_check_id('job_id', p_job_id);
    END IF;
    IF p_job_status IS NOT NULL THEN
        PERFORM fraud._check_enum('job_status', p_job_status, ARRAY['SUBMITTED', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.job_name, x.domain_id, x.status, x.start_time, x.completion_time,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN jsonb_build_object('S3Uri', x.input_path) END,
           x.config,
           jsonb_build_object('PercentComplete', CASE WHEN x.status IN ('COMPLETED', 'COMPLETED_WITH_ERRORS') THEN 100
                                                      WHEN coalesce(x.total_records_count, 0) = 0 THEN 0
                                                      ELSE (100 * x.processed_records_count / x.total_records_count)::int END),
           CASE WHEN x.failure_reason IS NOT NULL AND fraud._job_visible(x.owner, v_role)
                THEN jsonb_build_object('Message', x.failure_reason, 'StatusCode', 500) END,
           x.processed_records_count, x.failed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = p_job_type AND x.domain_id = p_domain_id AND (p_job_id IS NULL OR x.job_id = p_job_id)
      AND (p_job_status IS NULL OR x.status = p_job_status)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('job', p_job_id);
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_nearest_normalized(domain_id text, embedding real[], watchlist_id text, cos_at_50 real, extra_ids text[] DEFAULT NULL::text[], extra real[] DEFAULT NULL::real[])
 RETURNS TABLE(fraudster_id text, cosine real, normalized_cosine real)
 LANGUAGE c
 STABLE
AS 'MODULE_PATHNAME', $function$voice_nearest_normalized_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_registration_checks(domain_id text, embeddings real[], new_ids text[], cos_at_50 real, cos_at_90 real, threshold integer, skip boolean)
 RETURNS TABLE(fraudster_id text, score integer, registered boolean)
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$voice_registration_checks_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_registration_config(d fraud.voice_domains, config jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE c jsonb := coalesce(config, '{}'); w text; t jsonb;
BEGIN
    IF jsonb_typeof(c) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(c) k
            WHERE k NOT IN ('DuplicateRegistrationAction', 'FraudsterSimilarityThreshold', 'WatchlistIds')) THEN
        PERFORM fraud._invalid('registration_config', c::text,
            '(must be {"DuplicateRegistrationAction", "FraudsterSimilarityThreshold", "WatchlistIds"})');
    END IF;
    PERFORM fraud._check_enum('DuplicateRegistrationAction', coalesce(c->>'DuplicateRegistrationAction', 'SKIP'), ARRAY['SKIP', 'REGISTER_AS_NEW']);
    t := coalesce(c->'FraudsterSimilarityThreshold', '80');
    IF jsonb_typeof(t) <> 'number' OR t::text !~ '^[0-9]+$' OR t::text::numeric > 100 THEN
        PERFORM fraud._invalid('FraudsterSimilarityThreshold', t::text, '(must be an integer 0 to 100)');
    END IF;
    w := fraud._voice_config_watchlist(d, c->'WatchlistIds');
    RETURN jsonb_build_object('DuplicateRegistrationAction', coalesce(c->>'DuplicateRegistrationAction', 'SKIP'),
                              'FraudsterSimilarityThreshold', t, 'WatchlistIds', jsonb_build_array(w));
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_registration_step(j fraud.jobs)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    d fraud.voice_domains := fraud._voice_domain(j.domain_id);
    action text := j.config->>'DuplicateRegistrationAction';
    threshold int := (j.config->>'FraudsterSimilarityThreshold')::int;
    target text := j.config->'WatchlistIds'->>0;
    hi bigint := least(j.end_position, j.next_position + j.batch_size);
    r record; c record; v real[]; result jsonb;
    -- the requests that passed the checks: their voiceprints (concatenated), candidate ids,
    -- speech and place among the batch's results
    flat real[] := '{}'; cand_ids text[] := '{}'; cand_speech real[] := '{}'; cand_at int[] := '{}';
    new_k int[] := '{}';
    rows bigint[] := '{}'; request_ids text[] := '{}'; results jsonb[] := '{}'; failed bigint := 0;
BEGIN
    FOR r IN EXECUTE format('SELECT * FROM %s s WHERE s._row > $1 AND s._row <= $2 ORDER BY s._row', fraud._job_staging_name(j.job_type, j.job_id))
             USING j.next_position, hi LOOP
        result := NULL;
        BEGIN
            IF r.request_id IS NULL OR r.request_id !~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' OR length(r.request_id) > 256 THEN
                PERFORM fraud._invalid('RequestId', r.request_id, '(must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$)');
            END IF;
            v := fraud._voice_normalize('Embedding', r.embedding, d.embedding_dimension);
            IF r.speech_seconds IS NULL OR r.speech_seconds < d.authentication_min_speech_seconds THEN
                PERFORM fraud._invalid('SpeechSeconds', r.speech_seconds::text,
                    format('(a voiceprint needs at least %s seconds of speech)', d.authentication_min_speech_seconds));
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            result := fraud._voice_request_error(r.request_id, 400, SQLERRM);
            failed := failed + 1;
        END;
        rows := rows || r._row; request_ids := request_ids || r.request_id; results := results || result;
        IF result IS NULL THEN
            flat := flat || v;
            cand_ids := cand_ids || ('id#' || fraud._voice_new_id());
            cand_speech := cand_speech || r.speech_seconds;
            cand_at := cand_at || cardinality(results);
        END IF;
    END LOOP;
    FOR c IN SELECT x.fraudster_id, x.score, x.registered, x.k::int AS k
             FROM fraud._voice_registration_checks(d.domain_id, flat, cand_ids, d.cos_at_50, d.cos_at_90, threshold,
                                                   action = 'SKIP') WITH ORDINALITY x(fraudster_id, score, registered, k) LOOP
        IF c.registered THEN
            new_k := new_k || c.k;
            -- an explicit JSON null score when there was no fraudster to compare with (the
            -- first registration into an empty domain; docs/voice-id.md "Jobs")
            results[cand_at[c.k]] := jsonb_build_object('RequestId', request_ids[cand_at[c.k]], 'RegistrationStatus', 'NEW_REGISTRATION',
                                                        'GeneratedFraudsterId', c.fraudster_id, 'FraudsterSimilarityScore', c.score);
        ELSE
            results[cand_at[c.k]] := jsonb_build_object('RequestId', request_ids[cand_at[c.k]], 'RegistrationStatus', 'DUPLICATE_SKIPPED',
                                                        'GeneratedFraudsterId', c.fraudster_id, 'FraudsterSimilarityScore', c.score);
        END IF;
    END LOOP;
    INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
        SELECT d.domain_id, cand_ids[k], flat[(k - 1) * d.embedding_dimension + 1 : k * d.embedding_dimension], cand_speech[k]
        FROM unnest(new_k) k;
    INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
        SELECT d.domain_id, cand_ids[k], target FROM unnest(new_k) k;
    INSERT INTO fraud.voice_job_results (job_type, job_id, row_number, request_id, result)
        SELECT j.job_type, j.job_id, x.rn, x.rid, x.res FROM unnest(rows, request_ids, results) x(rn, rid, res);
    PERFORM fraud._job_progress(j, hi, cardinality(rows), failed);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_score_shift(domain_id text, watchlist_id text, cos_at_50 real)
 RETURNS real
 LANGUAGE c
 STABLE
AS 'MODULE_PATHNAME', $function$voice_score_shift_wrapper$function$
;
CREATE OR REPLACE FUNCTION fraud._voice_start_job(p_job_type text, p_domain_id text, p_input_data_config jsonb, p_job_name text, p_config jsonb, p_caller bigint)
 RETURNS text
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE d fraud.voice_domains := fraud._voice_domain(p_domain_id); src record; config jsonb; id text := fraud._voice_new_id();
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    IF p_job_name IS NOT NULL THEN
        PERFORM fraud._voice_check_name('job_name', p_job_name);
    END IF;
    config := CASE p_job_type WHEN 'FRAUDSTER_REGISTRATION' THEN fraud._voice_registration_config(d, p_config)
                              ELSE fraud._voice_enrollment_config(d, p_config) END;
    src := fraud._voice_job_source(p_job_type, p_input_data_config, v_role, v_path);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, status, domain_id, job_name, config, input_kind, input_path, owner,
                            search_path, batch_size)
        VALUES (p_job_type, id, 'SUBMITTED', d.domain_id, p_job_name, config, src.kind, src.source,
                v_role::regrole, v_path, 500);
    PERFORM fraud._launch_job_worker();
    RETURN id;
END $function$
;
CREATE OR REPLACE FUNCTION fraud._voice_update_domain(p_domain_id text, p_name text, p_description text, p_cos_at_50 real, p_cos_at_90 real, p_authentication_min_speech_seconds real)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE d fraud.voice_domains := fraud._voice_domain(p_domain_id);
BEGIN
    PERFORM fraud._voice_check_name('name', p_name);
    PERFORM fraud._voice_check_description('description', p_description);
    PERFORM fraud._voice_check_calibration(coalesce(p_cos_at_50, d.cos_at_50), coalesce(p_cos_at_90, d.cos_at_90),
                                           coalesce(p_authentication_min_speech_seconds, d.authentication_min_speech_seconds));
    UPDATE fraud.voice_domains x SET name = p_name, description = p_description,
        cos_at_50 = coalesce(p_cos_at_50, x.cos_at_50), cos_at_90 = coalesce(p_cos_at_90, x.cos_at_90),
        authentication_min_speech_seconds = coalesce(p_authentication_min_speech_seconds, x.authentication_min_speech_seconds),
        updated_at = now()
        WHERE x.domain_id = p_domain_id;
    RETURN p_domain_id;
END $function$
;

-- Every public function, table and important column explains itself (\df+, \d+).
COMMENT ON COLUMN fraud.aggregate_variables.entity_type IS 'Group by the scored event''s entity of this type (NULL when grouped by a variable).';
COMMENT ON COLUMN fraud.aggregate_variables.filter IS 'A rule-language expression over the past event''s variables and $label; only past events for which it is true count. NULL: all.';
COMMENT ON COLUMN fraud.aggregate_variables.function IS 'COUNT, COUNT_DISTINCT, SUM, AVG, MIN or MAX.';
COMMENT ON COLUMN fraud.aggregate_variables.group_by_variable IS 'Group by the value of this STRING variable (NULL when grouped by an entity type).';
COMMENT ON COLUMN fraud.aggregate_variables.time_window IS 'How far back past events count: (T - time_window, T] for an event scored at T; a day is 24 hours.';
COMMENT ON COLUMN fraud.aggregate_variables.variable IS 'The variable aggregated (NULL for COUNT).';
COMMENT ON COLUMN fraud.batch_import_errors.event_id IS 'The row''s EVENT_ID as given (at most 100 characters), if any.';
COMMENT ON COLUMN fraud.batch_import_errors.reason IS 'Why the row was rejected, e.g. EVENT_TIMESTAMP ... is not a supported timestamp.';
COMMENT ON COLUMN fraud.batch_import_errors.row_number IS 'Data row of the input, from 1 (in a CSV file, the record after the header, a broken record counting as one: the line number minus one unless a quoted field spans lines).';
COMMENT ON COLUMN fraud.detector_version_rules."position" IS 'Evaluation order of the rule in the detector version, from 1.';
COMMENT ON COLUMN fraud.detector_versions.detector_version_id IS 'Version number, 1 to 99999, never reused (fraud.detectors.last_version_id); the API shows it as text (''1'').';
COMMENT ON COLUMN fraud.detector_versions.external_model_endpoints IS 'AFD external model endpoints; always empty for now (external models are not implemented).';
COMMENT ON COLUMN fraud.detector_versions.model_versions IS '[{"modelId", "modelType", "modelVersionNumber"}] as AFD; always [] for now (models are not implemented).';
COMMENT ON COLUMN fraud.detector_versions.rule_execution_mode IS 'FIRST_MATCHED: only the first matching rule, in position order, gives outcomes; ALL_MATCHED: every matching rule does.';
COMMENT ON COLUMN fraud.detector_versions.shadow IS 'A shadow version (DRAFT or INACTIVE, never ACTIVE: CHECK detector_version_shadow_not_active): fraud_get_event_prediction scores it too whenever it scores the ACTIVE version, and records its result in fraud.event_predictions with shadow = true, never returning it. Set by fraud_update_detector_version_shadow; activating the version clears it.';
COMMENT ON COLUMN fraud.detector_versions.status IS 'DRAFT (editable), ACTIVE (scores by default; at most one per detector) or INACTIVE. Changed only by fraud_update_detector_version_status.';
COMMENT ON COLUMN fraud.detectors.detector_id IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.detectors.event_type_name IS 'The event type whose events the detector scores; it cannot change once the detector has rules or versions.';
COMMENT ON COLUMN fraud.detectors.last_version_id IS 'Highest detector version id ever issued, so a deleted version''s id is never reused.';
COMMENT ON COLUMN fraud.entity_types.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters; the ARN is arn:fraud:<database>:entity-type/<name>.';
COMMENT ON COLUMN fraud.event_keys.key_name IS 'An entity type, or $ and a variable name.';
COMMENT ON COLUMN fraud.event_keys.key_value IS 'The entity id, or the variable''s stored value.';
COMMENT ON COLUMN fraud.event_predictions.detector_version_id IS 'The detector version that scored: the named one, or the ACTIVE one at the time.';
COMMENT ON COLUMN fraud.event_predictions.entities IS 'The event''s [{"entityType", "entityId"}].';
COMMENT ON COLUMN fraud.event_predictions.metadata IS 'The GetEventPredictionMetadata response (fraud_explain''s result: every rule, variable value and source) without the prediction timestamp.';
COMMENT ON COLUMN fraud.event_predictions.prediction_id IS 'The key, in the order predictions were made (not the order they committed): a notification''s predictionId, and what an outbox reader remembers (docs/sql-reference.md, "Prediction notifications").';
COMMENT ON COLUMN fraud.event_predictions.prediction_timestamp IS 'When the prediction was made, to the millisecond; fraud_get_event_prediction_metadata finds the prediction by it.';
COMMENT ON COLUMN fraud.event_predictions.result IS 'The GetEventPrediction response returned to the caller (fraud_predict''s result).';
COMMENT ON COLUMN fraud.event_predictions.shadow IS 'true: the result of a shadow version (fraud.detector_versions.shadow), scored with the same event and prediction_timestamp as the prediction the caller got and never returned, notified, listed by fraud_list_event_predictions or shown by fraud_get_event_prediction_metadata; read by fraud_rule_stats. Outbox readers skip these rows (docs/sql-reference.md, "Prediction notifications").';
COMMENT ON COLUMN fraud.event_type_entity_types."position" IS 'Order of the entity type in the event type, from 1.';
COMMENT ON COLUMN fraud.event_type_labels."position" IS 'Order of the label in the event type, from 1.';
COMMENT ON COLUMN fraud.event_type_variables."position" IS 'Order of the variable in the event type, from 1.';
COMMENT ON COLUMN fraud.event_types.event_ingestion IS 'ENABLED or DISABLED (AFD EventIngestion). DISABLED: fraud_send_event is refused (55006) and fraud_get_event_prediction does not store the event.';
COMMENT ON COLUMN fraud.event_types.event_orchestration IS '{"eventBridgeEnabled": boolean} as given to PutEventType. true: fraud_get_event_prediction publishes each prediction of this type with NOTIFY on channel fraud_detector_predictions (docs/sql-reference.md, "Prediction notifications").';
COMMENT ON COLUMN fraud.event_types.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.events.entities IS '[{"entityType", "entityId"}]: who performed the event; each entity type is one of the event type''s.';
COMMENT ON COLUMN fraud.events.event_id IS 'The event''s id: an identifier ^[0-9a-z_-]+$, 1 to 64 characters, unique per event type.';
COMMENT ON COLUMN fraud.events.event_label IS 'The assigned label (one of the event type''s labels), or NULL; set together with label_timestamp.';
COMMENT ON COLUMN fraud.events.event_timestamp IS 'When the event happened (AFD eventTimestamp).';
COMMENT ON COLUMN fraud.events.event_variables IS '{"variable": "value"} as AFD''s EventVariableMap: every value a JSON string that reads as its variable''s data type.';
COMMENT ON COLUMN fraud.events.ingested_time IS 'When the row was stored, or last replaced by fraud_get_event_prediction.';
COMMENT ON COLUMN fraud.external_models.function IS 'The endpoint''s function, resolved when the model was put (regprocedure: restored by name and signature).';
COMMENT ON COLUMN fraud.jobs.batch_size IS 'Records per batch, each batch its own transaction (10,000 for AFD jobs, 500 for Voice ID jobs).';
COMMENT ON COLUMN fraud.jobs.config IS 'Voice ID jobs: the RegistrationConfig or EnrollmentConfig, with defaults filled in.';
COMMENT ON COLUMN fraud.jobs.deleted IS 'True after Delete*Job: the row stays so that the job id is never reused.';
COMMENT ON COLUMN fraud.jobs.detector_version_id IS 'Batch prediction: the detector version used (the one named, or the ACTIVE one when the job started).';
COMMENT ON COLUMN fraud.jobs.end_position IS 'Where the input ends: the staged row count, or the block count of a table read in place.';
COMMENT ON COLUMN fraud.jobs.failure_reason IS 'Why a FAILED job failed: the error, or that its worker stopped before the job finished.';
COMMENT ON COLUMN fraud.jobs.input_kind IS 'TABLE (a plain table read in place by ctid ranges), QUERY (a query, view or partitioned table, staged), FILE (a server-side CSV file or JSON manifest, staged) or EVENTS (DELETE_EVENTS).';
COMMENT ON COLUMN fraud.jobs.input_line IS 'Batch import of a CSV file: the line number (the header is line 1) where the next batch starts.';
COMMENT ON COLUMN fraud.jobs.input_offset IS 'Batch import of a CSV file: the byte offset in the file where the next batch starts (with next_position, the data rows read so far).';
COMMENT ON COLUMN fraud.jobs.input_path IS 'The input: a quoted, schema-qualified table name, a query, or an absolute server-side file path.';
COMMENT ON COLUMN fraud.jobs.job_id IS 'AFD jobs: the caller''s identifier, never reused; DELETE_EVENTS: the event type''s name; Voice ID jobs: 22 generated letters and digits.';
COMMENT ON COLUMN fraud.jobs.job_type IS 'BATCH_IMPORT, BATCH_PREDICTION, DELETE_EVENTS, FRAUDSTER_REGISTRATION or SPEAKER_ENROLLMENT; with job_id the key.';
COMMENT ON COLUMN fraud.jobs.next_position IS 'Where the next batch starts: a _row number of the staging table, or a block number of a table read in place.';
COMMENT ON COLUMN fraud.jobs.output_path IS 'Batch prediction: the output table the job created (quoted, schema-qualified); it belongs to the caller and outlives the job.';
COMMENT ON COLUMN fraud.jobs.owner IS 'The role that created the job (the current_user of the call); the job reads its input and writes its output with exactly this role''s rights. Only this role, its members and roles that manage definitions see the input, cancel or delete the job.';
COMMENT ON COLUMN fraud.jobs.processed_records_count IS 'Records handled by committed batches, good and failed.';
COMMENT ON COLUMN fraud.jobs.search_path IS 'The creator''s search_path, set in the worker so names in a query input resolve as they did for the creator.';
COMMENT ON COLUMN fraud.jobs.staging IS 'Name of the job''s unlogged staging table holding a snapshot of a query, view or file input; NULL when the input is read in place, and once the job ends (the table is then dropped).';
COMMENT ON COLUMN fraud.jobs.status IS 'AFD AsyncJobStatus (IN_PROGRESS_INITIALIZING, IN_PROGRESS, CANCEL_IN_PROGRESS, CANCELED, COMPLETE, FAILED); Voice ID jobs: SUBMITTED, IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERRORS, FAILED.';
COMMENT ON COLUMN fraud.jobs.total_records_count IS 'Number of input records; known once the worker has staged or counted the input.';
COMMENT ON COLUMN fraud.jobs.worker_pid IS 'PID of the background worker holding the job; with worker_start it tells a vanished worker (the job then ends FAILED) from a live one, judged from pg_stat_activity as the extension''s owner, the role workers connect as.';
COMMENT ON COLUMN fraud.labels.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.list_elements.element IS E'A member of the list: 1 to 320 characters, no leading or trailing whitespace (^\\S+( +\\S+)*$).';
COMMENT ON COLUMN fraud.lists.name IS 'The key: ^[0-9a-z_]+$, 1 to 64 characters (rules write it as @name).';
COMMENT ON COLUMN fraud.lists.variable_type IS 'Optional AFD variable type of the elements (one of fraud.variable_types); once set it cannot be changed.';
COMMENT ON COLUMN fraud.model_versions.failure_reason IS 'Why a version is in ERROR (training failed, data validation refused the data, or its worker stopped).';
COMMENT ON COLUMN fraud.model_versions.model_data IS 'The trained model as the engine serializes it (JSON): feature encoders, trees, score calibration. Loaded once per backend with the detector versions that use it.';
COMMENT ON COLUMN fraud.model_versions.status IS 'TRAINING_IN_PROGRESS, TRAINING_COMPLETE, ACTIVE, INACTIVE, TRAINING_CANCELLED or ERROR (training failed: failure_reason says why).';
COMMENT ON COLUMN fraud.model_versions.training_progress IS 'How far training is, 0 to 1, committed by the training job as it goes (visible from any session).';
COMMENT ON COLUMN fraud.model_versions.training_result IS 'AFD TrainingResult: dataValidationMetrics, trainingMetrics (auc, metricDataPoints), variableImportanceMetrics.';
COMMENT ON COLUMN fraud.model_versions.training_result_v2 IS 'AFD TrainingResultV2: dataValidationMetrics, trainingMetricsV2 (ofi, tfi or ati), variableImportanceMetrics, aggregatedVariablesImportanceMetrics.';
COMMENT ON COLUMN fraud.models.model_type IS 'ONLINE_FRAUD_INSIGHTS (the event alone), TRANSACTION_FRAUD_INSIGHTS (the event and its entity''s history) or ACCOUNT_TAKEOVER_INSIGHTS (a login against its account''s history).';
COMMENT ON COLUMN fraud.outcomes.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.rule_version_outcomes."position" IS 'Order of the outcome in the rule version, from 1.';
COMMENT ON COLUMN fraud.rule_versions.expression IS 'The rule''s condition in DETECTORPL (docs/rule-language.md), 1 to 4,096 characters, e.g. $amount > 500 and $ip in @blocked_ips. Parsed and type checked against the detector''s event type when written.';
COMMENT ON COLUMN fraud.rule_versions.language IS 'Always DETECTORPL, the only rule language.';
COMMENT ON COLUMN fraud.rule_versions.rule_version IS 'Version number, 1 to 99999; the API shows it as text (''1'').';
COMMENT ON COLUMN fraud.rules.last_version IS 'Highest rule version ever issued; UpdateRuleVersion makes last_version + 1, never a reused number.';
COMMENT ON COLUMN fraud.rules.rule_id IS 'An identifier ^[0-9a-z_-]+$ (1 to 64 characters), unique within the detector.';
COMMENT ON COLUMN fraud.tags.key IS 'Tag key, 1 to 128 characters.';
COMMENT ON COLUMN fraud.tags.resource_id IS 'The ARN''s resource id: a name, detector/version, detector/rule/version, a job id or a Voice ID domain id.';
COMMENT ON COLUMN fraud.tags.resource_type IS 'The ARN''s resource type: entity-type, event-type, variable, label, outcome, list, detector, detector-version, rule, batch-import, batch-prediction or voice-domain.';
COMMENT ON COLUMN fraud.tags.value IS 'Tag value, 0 to 256 characters.';
COMMENT ON COLUMN fraud.variables.data_source IS 'EVENT (a field of the event), or MODEL_SCORE / EXTERNAL_MODEL_SCORE (the output of a model). Only EVENT variables belong to event types or can be created with fraud_create_variable.';
COMMENT ON COLUMN fraud.variables.data_type IS 'STRING, INTEGER, FLOAT, BOOLEAN or DATETIME: how event values are read and typed in rules.';
COMMENT ON COLUMN fraud.variables.default_value IS 'Text of the value used when an event lacks the variable; always reads as data_type.';
COMMENT ON COLUMN fraud.variables.name IS 'The key: ^[0-9a-z_]+$, 1 to 64 characters (stricter than AFD: rules read it as $name).';
COMMENT ON COLUMN fraud.variables.variable_type IS 'Optional AFD variable type (one of fraud.variable_types), e.g. EMAIL_ADDRESS or PRICE.';
COMMENT ON COLUMN fraud.voice_domains.authentication_min_speech_seconds IS 'Seconds of speech (5 to 10, default 10) EvaluateSession needs to authenticate or check for fraud, and a fraudster registration needs.';
COMMENT ON COLUMN fraud.voice_domains.cos_at_50 IS 'Cosine similarity that scores 50 (default 0.35): the lower anchor of the linear, clamped map from cosine to Voice ID''s 0-100 scores; less than cos_at_90.';
COMMENT ON COLUMN fraud.voice_domains.cos_at_90 IS 'Cosine similarity that scores 90 (default 0.60), Voice ID''s default authentication threshold: the upper anchor of the cosine-to-score map.';
COMMENT ON COLUMN fraud.voice_domains.domain_id IS 'The key: 22 generated letters and digits.';
COMMENT ON COLUMN fraud.voice_domains.domain_status IS 'Voice ID DomainStatus: ACTIVE, PENDING or SUSPENDED; domains are created ACTIVE.';
COMMENT ON COLUMN fraud.voice_domains.embedding_dimension IS 'Number of elements of every voiceprint of the domain (1 to 4096); fixed when the domain is created.';
COMMENT ON COLUMN fraud.voice_domains.fraudsters_stamp IS 'A fresh fraud.voice_stamps value whenever the domain''s fraudsters or watchlist memberships change: the key of the per-backend fraudster index.';
COMMENT ON COLUMN fraud.voice_fraudsters.embedding IS 'The voiceprint: an L2-normalised real[] of the domain''s embedding_dimension; every element finite (no NaN or Infinity: CHECK voice_fraudster_embedding_finite).';
COMMENT ON COLUMN fraud.voice_fraudsters.fraudster_id IS 'The key (GeneratedFraudsterId): id# and 22 letters and digits.';
COMMENT ON COLUMN fraud.voice_fraudsters.speech_seconds IS 'Seconds of net speech the voiceprint came from.';
COMMENT ON COLUMN fraud.voice_job_results.result IS '{"RequestId", "RegistrationStatus", "GeneratedFraudsterId", "FraudsterSimilarityScore"}, {"RequestId", "EnrollmentStatus", "GeneratedSpeakerId"}, or {"RequestId", "ErrorCode", "ErrorMessage"} for a failed request.';
COMMENT ON COLUMN fraud.voice_job_results.row_number IS 'Position of the request in the input, from 1.';
COMMENT ON COLUMN fraud.voice_sessions.session_id IS 'The key: id# and 22 letters and digits, derived from domain_id and session_name.';
COMMENT ON COLUMN fraud.voice_sessions.session_name IS 'The caller''s name for the session, unique within the domain: ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 36 characters.';
COMMENT ON COLUMN fraud.voice_speakers.customer_speaker_id IS 'The caller''s own id (CustomerSpeakerId), unique within the domain.';
COMMENT ON COLUMN fraud.voice_speakers.embedding IS 'The enrolled voiceprint (L2-normalised, of the domain''s dimension, every element finite: CHECK voice_speaker_embedding_finite); NULL when the speaker has none, e.g. after opting out.';
COMMENT ON COLUMN fraud.voice_speakers.generated_speaker_id IS 'The key (GeneratedSpeakerId): id# and 22 letters and digits.';
COMMENT ON COLUMN fraud.voice_speakers.last_accessed_at IS 'Last time EvaluateSession authenticated the speaker (decision ACCEPT or REJECT).';
COMMENT ON COLUMN fraud.voice_speakers.status IS 'ENROLLED (has a voiceprint), OPTED_OUT (voiceprint removed; cannot be enrolled again), EXPIRED or PENDING.';
COMMENT ON COLUMN fraud.voice_watchlists.default_watchlist IS 'True for the domain''s default watchlist (one per domain, created with it).';
COMMENT ON COLUMN fraud.voice_watchlists.name IS 'Unique within the domain: ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 256 characters.';
COMMENT ON COLUMN fraud.voice_watchlists.watchlist_id IS 'The key: 22 generated letters and digits.';
COMMENT ON FUNCTION @extschema@.fraud_backtest(detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, baseline_version_id text, fraud_labels text[]) IS 'Backtest, summed up: the detector version over the stored events of its event type in [from, to), each as at its own time. One row per rule (kind rule: evaluated, matched, matched_fraud, matched_legit, precision, recall), per outcome (kind outcome), for events with any outcome (kind any_outcome), and with baseline_version_id per change of outcomes (kind change, name ''{baseline outcomes} -> {outcomes}''). Labels in fraud_labels count as fraud, other labels as legit, unlabelled events in neither. Errors: 42704 unknown detector, version or label; 22023 bad arguments.';
COMMENT ON FUNCTION @extschema@.fraud_backtest_events(detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, baseline_version_id text) IS 'Backtest, per event: every stored event of the detector''s event type with event_timestamp in [from, to), scored by the detector version as at its own time (aggregates see only events stored before it): evaluated (how many rules, in order), matched_rules, outcomes, and with baseline_version_id the baseline''s outcomes and whether the set changed. Joins back to fraud_get_event by (event_id, event_type_name). Errors: 42704 unknown detector or version; 22023 bad arguments, from not before to.';
COMMENT ON FUNCTION @extschema@.fraud_batch_create_variable(variable_entries jsonb, tags jsonb) IS 'BatchCreateVariable: creates each of 1 to 25 entries {"name", "dataType", "dataSource", "defaultValue", ...} on its own; returns one row (name, code 400/404/409, message) per failed entry, no rows when all were created. Errors: 22023 not an array of 1 to 25, bad tags.';
COMMENT ON FUNCTION @extschema@.fraud_batch_get_variable(names text[]) IS 'BatchGetVariable: one row per variable found among 1 to 100 distinct names, plus one row with only name, error_code 404 and error_message per name not found. Errors: 22023 empty, over 100, NULL or repeated names.';
COMMENT ON FUNCTION @extschema@.fraud_cancel_backtest_job(job_id text) IS 'Cancels a backtest job: one no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (written batches stay). Errors: 42704 unknown job id; 42501 another role''s job; 55006 the job has already ended.';
COMMENT ON FUNCTION @extschema@.fraud_cancel_batch_import_job(job_id text) IS 'CancelBatchImportJob: a job no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (committed batches stay). Errors: 42704 unknown job id; 55006 the job has already ended.';
COMMENT ON FUNCTION @extschema@.fraud_cancel_batch_prediction_job(job_id text) IS 'CancelBatchPredictionJob: a job no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (scored batches stay). Errors: 42704 unknown job id; 55006 the job has already ended.';
COMMENT ON FUNCTION @extschema@.fraud_capabilities() IS 'Every capability fraud_grant knows and the functions it grants EXECUTE on (including the internal fraud.* functions behind the job wrappers).';
COMMENT ON FUNCTION @extschema@.fraud_check_voice_id(result jsonb, option text) IS 'Amazon Connect''s Check Voice ID block: the branch (e.g. Authenticated, Not enrolled, High risk) an EvaluateSession result takes for option enrollmentStatus, voiceAuthentication or fraudDetection. Errors: 22023 unknown option.';
COMMENT ON FUNCTION @extschema@.fraud_citus_distribute_events(shard_count integer) IS 'Makes fraud.events and fraud.event_predictions Citus distributed tables, both by event_id and co-located (docs/scale-out.md, "Stored events"), moving their rows to the workers; on the coordinator, as a superuser, after fraud_citus_setup(). Idempotent. Aggregate variables and history-reading models (TRANSACTION_FRAUD_INSIGHTS, ACCOUNT_TAKEOVER_INSIGHTS) are refused from then on. shard_count: Citus''s default (citus.shard_count) when NULL. Errors: 55000 no Citus, not the coordinator, nodes without this version, setup not run; 0A000 an aggregate variable or a history-reading model version exists; 22023 shard_count out of 1..64000; 42501 not a superuser.';
COMMENT ON FUNCTION @extschema@.fraud_citus_setup() IS 'Prepares fraud_detector for Citus (docs/scale-out.md); on the coordinator, as a superuser. Afterwards every node scores with its own copy of the catalog, changed exactly when the coordinator''s transactions commit. Ships the whole catalog to every node: call it again after adding a node and after ALTER EXTENSION UPDATE. Returns {"workers", "tables", "rows"} shipped. Errors: 55000 Citus not installed, not the coordinator, a node without the same fraud_detector version, or a worker that could not be prepared; 42501 not a superuser.';
COMMENT ON FUNCTION @extschema@.fraud_create_aggregate_variable(name text, event_types text[], function text, time_window interval, entity_type text, group_by_variable text, variable text, filter text, description text, tags jsonb) IS 'Creates an aggregate (velocity) variable: function (COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX) of variable over the stored events of event_types that share the scored event''s entity of entity_type, or its value of group_by_variable, in (T - time_window, T], optionally only those for which filter (rule language over the past event''s variables and $label) is true. Rules use it as $name. Errors: 22023 invalid argument or filter (42601 filter syntax); 42704 unknown event type, entity type or variable; 23505 the name is taken.';
COMMENT ON FUNCTION @extschema@.fraud_create_backtest_job(job_id text, detector_id text, detector_version_id text, "from" timestamp with time zone, "to" timestamp with time zone, output_path text, baseline_version_id text) IS 'fraud_backtest_events as a background job, for ranges too large for one query: creates table output_path (the columns of fraud_backtest_events) and fills it in committed batches in time order; fraud_get_backtest_jobs shows progress. The creator needs the reading and jobs capabilities. Errors: as fraud_backtest_events; 22023 bad job id or output_path; 42P07 the output table exists; 42501 no EXECUTE on fraud_backtest_events; 23505 id used.';
COMMENT ON FUNCTION @extschema@.fraud_create_batch_import_job(job_id text, input_path text, event_type_name text, tags jsonb) IS 'CreateBatchImportJob: starts a background job importing events from a table, a query or a server-side CSV file in AFD''s column layout (a file needs the privileges of pg_read_server_files); failed rows, broken CSV records included, are in fraud_get_batch_import_job_errors. Errors: 22023 bad id, input or columns; 42704 unknown event type; 23505 id used before; 42501.';
COMMENT ON FUNCTION @extschema@.fraud_create_batch_prediction_job(job_id text, input_path text, output_path text, event_type_name text, detector_name text, detector_version text, tags jsonb) IS 'CreateBatchPredictionJob: creates table output_path (input columns plus model_scores, rule_results, outcomes, status) and starts a background job scoring every input row with the detector. Errors: 22023; 42P07 output table exists; 42704 unknown event type, detector or version; 23505 id used.';
COMMENT ON FUNCTION @extschema@.fraud_create_detector_version(detector_id text, rules jsonb, description text, external_model_endpoints text[], model_versions jsonb, rule_execution_mode text, tags jsonb) IS 'CreateDetectorVersion: a new DRAFT version (id one past the highest ever issued) with rules (rule references, in evaluation order) and rule_execution_mode FIRST_MATCHED or ALL_MATCHED, compiled now; returns (detector_id, detector_version_id, status). Errors: 42704; 22023; 54000.';
COMMENT ON FUNCTION @extschema@.fraud_create_list(name text, elements text[], variable_type text, description text, tags jsonb) IS 'CreateList: creates a named set of strings that rules test with in @name; repeated elements are stored once. Errors: 22023 invalid name (^[0-9a-z_]+$), element (1 to 320 characters), over 100,000 elements or unknown variable type; 23505 the list exists.';
COMMENT ON FUNCTION @extschema@.fraud_create_model(model_id text, model_type text, event_type_name text, description text, tags jsonb) IS 'CreateModel: a model of model_type (ONLINE_FRAUD_INSIGHTS, TRANSACTION_FRAUD_INSIGHTS, ACCOUNT_TAKEOVER_INSIGHTS) for events of event_type_name; train it with fraud_create_model_version. Errors: 22023 invalid argument; 42704 unknown event type; 23505 the model exists.';
COMMENT ON FUNCTION @extschema@.fraud_create_model_version(model_id text, model_type text, training_data_source text, training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, tags jsonb) IS 'CreateModelVersion: the next major version (1.0, 2.0, ...) of the model, trained by a background job on INGESTED_EVENTS (stored events in ingested_events_detail''s time window) or EXTERNAL_EVENTS (external_events_detail.dataLocation: a table, a query or a server-side CSV file in batch import''s layout, read with the caller''s rights); status TRAINING_IN_PROGRESS, then TRAINING_COMPLETE or ERROR (fraud_describe_model_versions). Errors: 22023 invalid argument; 42704 unknown model; 42501.';
COMMENT ON FUNCTION @extschema@.fraud_create_rule(rule_id text, detector_id text, expression text, outcomes text[], language text, description text, tags jsonb) IS 'CreateRule: creates version 1 of a rule whose DETECTORPL expression (docs/rule-language.md) is parsed and type checked now; returns {"detectorId", "ruleId", "ruleVersion"}. Errors: 42601 syntax error (with position); 22023; 54000 a regex_match pattern past 1 MiB compiled; 42704 detector or outcome missing; 23505 the rule exists.';
COMMENT ON FUNCTION @extschema@.fraud_create_variable(name text, data_type text, data_source text, default_value text, description text, variable_type text, tags jsonb) IS 'CreateVariable: creates an EVENT variable (or an EXTERNAL_MODEL_SCORE variable, an output of external models) with a data type (STRING, INTEGER, FLOAT, BOOLEAN, DATETIME) and a default value that must read as that type. Errors: 22023 invalid name (^[0-9a-z_]+$), data type, data source, default or variable type; 23505 the variable exists.';
COMMENT ON FUNCTION @extschema@.fraud_delete_aggregate_variable(name text) IS 'Deletes an aggregate variable and its tags; a missing one is a NOTICE. Errors: 55006 a rule version uses it.';
COMMENT ON FUNCTION @extschema@.fraud_delete_backtest_job(job_id text) IS 'Removes a finished backtest job''s record; its output table (the caller''s) stays and the id stays taken. Errors: 42704 unknown job id; 42501 another role''s job; 55006 the job is still running (cancel it first).';
COMMENT ON FUNCTION @extschema@.fraud_delete_batch_import_job(job_id text) IS 'DeleteBatchImportJob: removes a finished job and its failed records, not the imported events; the id stays taken. Errors: 42704 unknown job id; 55006 the job is still running (cancel it first).';
COMMENT ON FUNCTION @extschema@.fraud_delete_batch_prediction_job(job_id text) IS 'DeleteBatchPredictionJob: removes a finished job''s record; its output table (the caller''s) stays and the id stays taken. Errors: 42704 unknown job id; 55006 the job is still running (cancel it first).';
COMMENT ON FUNCTION @extschema@.fraud_delete_detector(detector_id text) IS 'DeleteDetector: deletes the detector and its tags; a missing one is a NOTICE. Errors: 22023 invalid id; 55006 it still has detector versions or rules.';
COMMENT ON FUNCTION @extschema@.fraud_delete_detector_version(detector_id text, detector_version_id text) IS 'DeleteDetectorVersion: deletes a DRAFT or INACTIVE version and its tags (its id is never reused). Errors: 55006 the version is ACTIVE; 42704 no such version.';
COMMENT ON FUNCTION @extschema@.fraud_delete_entity_type(name text) IS 'DeleteEntityType: deletes the entity type and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 an event type uses it.';
COMMENT ON FUNCTION @extschema@.fraud_delete_event(event_id text, event_type_name text, delete_audit_history boolean) IS 'DeleteEvent: deletes the stored event (a missing one is a NOTICE); with delete_audit_history => true also its prediction history in fraud.event_predictions. Errors: 22023 invalid id; 42704 unknown event type.';
COMMENT ON FUNCTION @extschema@.fraud_delete_event_type(name text) IS 'DeleteEventType: deletes the event type with its stored events and tags, freeing its variables, entity types and labels; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a detector uses it, or an aggregate variable reads its events.';
COMMENT ON FUNCTION @extschema@.fraud_delete_events_by_event_type(event_type_name text) IS 'DeleteEventsByEventType: starts a background job deleting every stored event of the type, 10,000 per committed batch; returns at once (event_type_name, IN_PROGRESS_INITIALIZING). Errors: 42704 unknown event type; 55006 a deletion of this type is already running.';
COMMENT ON FUNCTION @extschema@.fraud_delete_external_model(model_endpoint text) IS 'DeleteExternalModel: deletes it and its tags; a missing one is a NOTICE. Errors: 22023; 55006 a detector version uses it.';
COMMENT ON FUNCTION @extschema@.fraud_delete_label(name text) IS 'DeleteLabel: deletes the label and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 an event type lists it or stored events carry it.';
COMMENT ON FUNCTION @extschema@.fraud_delete_list(name text) IS 'DeleteList: deletes the list with its elements and tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a rule version names it with @name.';
COMMENT ON FUNCTION @extschema@.fraud_delete_model(model_id text, model_type text) IS 'DeleteModel: deletes the model, its versions and their tags; a missing model is a NOTICE. Errors: 22023; 55006 a detector version uses one of its versions, or a version is training.';
COMMENT ON FUNCTION @extschema@.fraud_delete_model_version(model_id text, model_type text, model_version_number text) IS 'DeleteModelVersion: deletes a version and its tags; a missing one is a NOTICE. Errors: 22023; 55006 a detector version uses it, or it is training.';
COMMENT ON FUNCTION @extschema@.fraud_delete_outcome(name text) IS 'DeleteOutcome: deletes the outcome and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a rule version yields it.';
COMMENT ON FUNCTION @extschema@.fraud_delete_rule(rule jsonb) IS 'DeleteRule: deletes that rule version (the rule goes with its last version); DRAFT detector versions using it lose it, with a NOTICE; a missing one is a NOTICE. Errors: 55006 an ACTIVE or INACTIVE detector version uses it; 22023 malformed reference.';
COMMENT ON FUNCTION @extschema@.fraud_delete_variable(name text) IS 'DeleteVariable: deletes the variable and its tags; a missing one is a NOTICE. Errors: 55006 an event type uses it, an external model outputs it, or it is an aggregate variable.';
COMMENT ON FUNCTION @extschema@.fraud_describe_detector(detector_id text) IS 'DescribeDetector: one row per version of the detector (detector_version_id, status, description, last_updated_time; arn is the detector''s; shadow: a shadow version). Errors: 22023 invalid id; 42704 no such detector.';
COMMENT ON FUNCTION @extschema@.fraud_describe_model_versions(model_id text, model_version_number text, model_type text) IS 'DescribeModelVersions: the versions matching the filters with their training results in AFD''s shapes (training_result, training_result_v2: AUC with uncertainty range, metric data points, variable importance, data validation), training_progress (0 to 1) and failure_reason. Errors: 22023 unknown model_type.';
COMMENT ON FUNCTION @extschema@.fraud_explain(detector_id text, event jsonb, detector_version_id text) IS 'AFD GetEventPredictionMetadata for an event, recording nothing: every rule with expressionWithValues, evaluated and matched, every variable with its value and source (EVENT or DEFAULT) and every aggregate variable the rules use (AGGREGATE), the outcomes, as jsonb. Errors as fraud_predict: 42704; 22023; 22P02 unreadable value.';
COMMENT ON FUNCTION @extschema@.fraud_get_aggregate_variables(name text) IS 'All aggregate variables, or only the named one, with their definition (event_types, function, variable, entity_type or group_by_variable, time_window, filter). Errors: 42704 the named one does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_backtest_jobs(job_id text) IS 'Backtest jobs, newest first, or the named one: status (IN_PROGRESS_INITIALIZING, IN_PROGRESS, CANCEL_IN_PROGRESS, CANCELED, COMPLETE, FAILED), failure_reason (for the job''s owner), times, detector version and baseline, range, output table, events replayed of the range''s total. Errors: 22023 invalid id; 42704 unknown job id.';
COMMENT ON FUNCTION @extschema@.fraud_get_batch_import_job_errors(job_id text) IS 'The failed records of a batch import job (AFD writes them to outputPath): row_number (data rows from 1; in a CSV file the records after the header, a broken record counting as one), event_id and the reason (for a CSV record that cannot be read, e.g. line 12: expected 9 fields, found 8). Errors: 22023 invalid id; 42704 unknown job id.';
COMMENT ON FUNCTION @extschema@.fraud_get_batch_import_jobs(job_id text) IS 'GetBatchImportJobs: all batch import jobs, newest first, or the named one, with status, failure_reason, times, input, counters and arn. Errors: 22023 invalid id; 42704 unknown job id.';
COMMENT ON FUNCTION @extschema@.fraud_get_batch_prediction_jobs(job_id text) IS 'GetBatchPredictionJobs: all batch prediction jobs, newest first, or the named one, with status, failure_reason, times, input, output table, detector version, counters and arn. Errors: 22023 invalid id; 42704 unknown job id.';
COMMENT ON FUNCTION @extschema@.fraud_get_delete_events_by_event_type_status(event_type_name text) IS 'GetDeleteEventsByEventTypeStatus: the status (AsyncJobStatus) of the latest deletion of the event type''s events. Errors: 22023 invalid name; 42704 no deletion was ever requested.';
COMMENT ON FUNCTION @extschema@.fraud_get_detector_version(detector_id text, detector_version_id text) IS 'GetDetectorVersion: the version as one row (rules jsonb in evaluation order, model_versions, external_model_endpoints, status, rule_execution_mode, times, arn, and shadow: whether it is a shadow version). Errors: 42704 no such version; 22023 bad version id.';
COMMENT ON FUNCTION @extschema@.fraud_get_detectors(detector_id text) IS 'GetDetectors: all detectors, or only the named one, as rows (detector_id, description, event_type_name, last_updated_time, created_time, arn). Errors: 22023 invalid id; 42704 the named detector does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_entity_types(name text) IS 'GetEntityTypes: all entity types, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named entity type does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_event(event_id text, event_type_name text) IS 'GetEvent: the stored event as one row (event_timestamp, event_variables, current_label, label_timestamp, entities). Errors: 22023 invalid id; 42704 unknown event type or event.';
COMMENT ON FUNCTION @extschema@.fraud_get_event_prediction(detector_id text, event_id text, event_type_name text, entities jsonb, event_timestamp text, event_variables jsonb, detector_version_id text) IS 'GetEventPrediction: validates the event as fraud_send_event, scores it like fraud_predict (same jsonb), records it in fraud.event_predictions, with ingestion ENABLED stores the event, and with event orchestration enabled sends NOTIFY fraud_detector_predictions (JSON payload with the predictionId; delivered on commit); scoring the ACTIVE version (detector_version_id NULL), it also scores the detector''s shadow versions and records their results (shadow = true), never returned. VOLATILE. Errors: 42704 unknown detector, version or no ACTIVE version; 22023 bad event or event type.';
COMMENT ON FUNCTION @extschema@.fraud_get_event_prediction_metadata(event_id text, event_type_name text, detector_id text, detector_version_id text, prediction_timestamp text) IS 'GetEventPredictionMetadata: the recorded explanation of one prediction (one returned to its caller, never a shadow version''s) as jsonb (fraud_explain''s shape plus eventId, entityId, entityType, eventTimestamp, predictionTimestamp); prediction_timestamp is epoch milliseconds or a timestamp such as ListEventPredictions'' prediction_timestamp::text. Errors: 42704 no such prediction; 22023 bad arguments.';
COMMENT ON FUNCTION @extschema@.fraud_get_event_types(name text) IS 'GetEventTypes: all event types, or only the named one, as rows with their event_variables, labels and entity_types (text[], in order), event_ingestion, event_orchestration, times and arn. Errors: 42704 the named event type does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_external_models(model_endpoint text) IS 'GetExternalModels: every external model, or the named one, with the function it calls. Errors: 42704 the named one does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_labels(name text) IS 'GetLabels: all labels, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named label does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_list_elements(name text) IS 'GetListElements: the elements of the list, sorted, one row each. Errors: 22023 invalid name; 42704 no such list.';
COMMENT ON FUNCTION @extschema@.fraud_get_lists_metadata(name text) IS 'GetListsMetadata: all lists, or only the named one, as rows (name, description, variable_type, created_time, updated_time, arn). Errors: 22023 invalid name; 42704 the named list does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_model_version(model_id text, model_type text, model_version_number text) IS 'GetModelVersion: the version''s training request, status and ARN. Errors: 22023; 42704 no such model or version.';
COMMENT ON FUNCTION @extschema@.fraud_get_models(model_id text, model_type text) IS 'GetModels: every model, or those with model_id and/or model_type (an empty result when none matches, as AFD). Errors: 22023 unknown model_type.';
COMMENT ON FUNCTION @extschema@.fraud_get_outcomes(name text) IS 'GetOutcomes: all outcomes, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named outcome does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_get_rules(detector_id text, rule_id text, rule_version text) IS 'GetRules: one row per rule version of the detector, of one rule, or just one version (expression, language, outcomes text[], times, arn). Errors: 42704 detector, rule or version missing; 22023 rule_version without rule_id.';
COMMENT ON FUNCTION @extschema@.fraud_get_variables(name text) IS 'GetVariables: all variables, or only the named one, as rows (name, data_type, data_source, default_value, description, variable_type, times, arn). Errors: 42704 the named variable does not exist.';
COMMENT ON FUNCTION @extschema@.fraud_grant(capability text, role_name regrole) IS 'Gives role_name one capability: EXECUTE on exactly its functions (fraud_capabilities()). Capabilities: scoring, reading, managing, jobs, voice_evaluation, voice_management (docs/security.md). Only the extension''s owner (or a superuser) may call it. Errors: 22023 unknown capability; 42704 unknown role; 42501 not the owner.';
COMMENT ON FUNCTION @extschema@.fraud_list_event_predictions(event_id jsonb, event_type jsonb, detector_id jsonb, detector_version_id jsonb, prediction_time_range jsonb) IS 'ListEventPredictions: recorded predictions (those returned to callers, not shadow versions'' results), newest first, filtered by FilterConditions {"value": "..."} and prediction_time_range {"startTime", "endTime"} (inclusive); no 30-day limit. Errors: 22023 malformed filter or range, end before start.';
COMMENT ON FUNCTION @extschema@.fraud_list_tags_for_resource(resource_arn text) IS 'ListTagsForResource: the tags of the resource the ARN names, as (key, value) rows sorted by key. Errors: 22023 malformed ARN; 42704 no such resource.';
COMMENT ON FUNCTION @extschema@.fraud_outcomes(detector_id text, event jsonb, detector_version_id text) IS 'The outcomes fraud_predict would give, alone: text[] in rule order without repeats, {} when no rule matched; the cheap form for bulk queries. Errors as fraud_predict: 42704 unknown detector, version or no ACTIVE version; 22023 bad arguments; 22P02 unreadable value.';
COMMENT ON FUNCTION @extschema@.fraud_predict(detector_id text, event jsonb, detector_version_id text) IS 'Scores event (an object of variables, or AFD''s request shape) with the detector''s ACTIVE version or the named one, as AFD GetEventPrediction but recording nothing; returns {"modelScores", "ruleResults", "externalModelOutputs"}, NULL for a NULL event. Errors: 42704; 22023; 22P02 unreadable value.';
COMMENT ON FUNCTION @extschema@.fraud_put_detector(detector_id text, event_type_name text, description text, tags jsonb) IS 'PutDetector: creates or updates a detector, the container of rules and versions for one event type; tags are merged. Errors: 22023 invalid id or description; 42704 unknown event type; 55006 changing the event type of a detector that has rules or versions.';
COMMENT ON FUNCTION @extschema@.fraud_put_entity_type(name text, description text, tags jsonb) IS 'PutEntityType: creates the entity type (who performs an event, e.g. customer) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';
COMMENT ON FUNCTION @extschema@.fraud_put_event_type(name text, event_variables text[], entity_types text[], description text, labels text[], event_ingestion text, tags jsonb, event_orchestration jsonb) IS 'PutEventType: creates or replaces the event type (variables, entity types, labels in the order given; ingestion ENABLED/DISABLED; event_orchestration {"eventBridgeEnabled": true} makes fraud_get_event_prediction NOTIFY fraud_detector_predictions); omitted optional attributes are cleared, tags merged. Errors: 22023; 42704 unknown member; 55006 a rule of a detector of this type, or an aggregate variable reading its events, would become invalid.';
COMMENT ON FUNCTION @extschema@.fraud_put_external_model(model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, input_configuration jsonb, output_configuration jsonb, model_endpoint_status text, tags jsonb) IS 'PutExternalModel: creates or replaces an external model. model_endpoint names a SQL function the caller can execute, schema.fn(jsonb) RETURNS jsonb, resolved with the caller''s search_path; input_configuration {"eventTypeName", "useEventVariables", "jsonInputTemplate" with {{variable}} placeholders}; output_configuration {"jsonKeyToVariableMap": {result key: EXTERNAL_MODEL_SCORE variable}}; model_source SAGEMAKER (kept for AFD compatibility); model_endpoint_status ASSOCIATED or DISSOCIATED. Errors: 22023; 42704 unknown function, event type or variable; 42501 no EXECUTE on the function; 55006 DISSOCIATED while an ACTIVE detector version uses it.';
COMMENT ON FUNCTION @extschema@.fraud_put_label(name text, description text, tags jsonb) IS 'PutLabel: creates the label (what an event turned out to be, e.g. fraud / legit) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';
COMMENT ON FUNCTION @extschema@.fraud_put_outcome(name text, description text, tags jsonb) IS 'PutOutcome: creates the outcome (what a matching rule tells the caller to do, e.g. review / block) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';
COMMENT ON FUNCTION @extschema@.fraud_rebuild_event_keys() IS 'Builds fraud.event_keys (the keys of stored events that aggregate variables read) again from fraud.events and the aggregate definitions, and returns how many it holds: after a restore with triggers disabled, or on a logical-replication subscriber. Locks fraud.events against writes while it runs. Errors: 0A000 not in a READ COMMITTED transaction.';
COMMENT ON FUNCTION @extschema@.fraud_revoke(capability text, role_name regrole) IS 'Takes one capability back from role_name (the EXECUTE grants fraud_grant gave). Only the extension''s owner (or a superuser) may call it. Errors: 22023 unknown capability; 42704 unknown role; 42501 not the owner.';
COMMENT ON FUNCTION @extschema@.fraud_rule_stats(detector_id text, "from" timestamp with time zone, "to" timestamp with time zone, fraud_labels text[]) IS 'Per detector version (shadow results apart) and rule version, from the predictions recorded by fraud_get_event_prediction with prediction_timestamp in [from, to): predictions (of the version), evaluated and matched (how often the rule was), labeled_matched (matched events whose stored event in fraud.events carries a label now), matched_fraud (labelled one of fraud_labels, default {fraud}) and precision = matched_fraud / labeled_matched (NULL when no matched event is labelled). STABLE. Errors: 42704 no such detector or label; 22023 bad arguments, NULLs, to before from.';
COMMENT ON FUNCTION @extschema@.fraud_score_trigger() IS 'BEFORE INSERT OR UPDATE row trigger: scores NEW and writes the outcomes to a text[] column and optionally fraud_predict''s result to a jsonb one. Arguments: detector_id, outcomes_column[, result_column][, ''reject=o1,o2''][, ''version=n'']. Errors: 23514 rejected; 39P01 misuse; 42703, 42804 bad column.';
COMMENT ON FUNCTION @extschema@.fraud_send_event(event_id text, event_type_name text, event_timestamp text, event_variables jsonb, entities jsonb, assigned_label text, label_timestamp text) IS 'SendEvent: stores an event (timestamps ISO 8601 or AFD''s CSV layouts, variables {"name": "value"}, entities [{"entityType", "entityId"}], optional label with its timestamp). Errors: 22023 invalid value; 42704 unknown event type; 23505 event id exists; 55006 ingestion DISABLED.';
COMMENT ON FUNCTION @extschema@.fraud_tag_resource(resource_arn text, tags jsonb) IS 'TagResource: adds or overwrites tags ({"key": "value"} or [{"key", "value"}]) on the resource named by arn:fraud:<database>:<type>/<id>. Errors: 22023 malformed ARN or tags; 42704 no such resource in this database; 54000 more than 200 tags.';
COMMENT ON FUNCTION @extschema@.fraud_untag_resource(resource_arn text, tag_keys text[]) IS 'UntagResource: removes the given tag keys (at most 50; absent keys are fine) from the resource the ARN names. Errors: 22023 malformed ARN, NULL or too many keys; 42704 no such resource.';
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version(detector_id text, detector_version_id text, external_model_endpoints text[], rules jsonb, description text, model_versions jsonb, rule_execution_mode text) IS 'UpdateDetectorVersion: replaces the rules (required) and external model endpoints (default none) of a DRAFT version; NULL description, model_versions or rule_execution_mode keep the current ones; the rules are compiled again. Errors: 55006 not DRAFT; 42704; 22023 (including rules NULL or omitted).';
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version_metadata(detector_id text, detector_version_id text, description text) IS 'UpdateDetectorVersionMetadata: sets the description of a detector version of any status. Errors: 42704 no such version; 22023 bad version id or description.';
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version_shadow(detector_id text, detector_version_id text, shadow boolean) IS 'Marks (shadow true) or unmarks a DRAFT or INACTIVE detector version as a shadow: fraud_get_event_prediction scores every shadow of the detector next to its ACTIVE version and records each result in fraud.event_predictions (shadow = true) without returning, notifying or listing it; fraud_rule_stats compares them. Marking compiles the version as activation does; activating it clears the flag. Errors: 55006 the version is ACTIVE; 42704 no such detector or version; 22023 bad arguments, shadow NULL, no rules and no models, rules that no longer compile.';
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version_status(detector_id text, detector_version_id text, status text) IS 'UpdateDetectorVersionStatus: DRAFT to ACTIVE, ACTIVE to INACTIVE, INACTIVE to ACTIVE; activating compiles the version, clears its shadow flag and makes the previously ACTIVE one INACTIVE. Errors: 55006 other transitions; 22023 unknown status, no rules and no models, rules that no longer compile; 42704.';
COMMENT ON FUNCTION @extschema@.fraud_update_event_label(event_id text, event_type_name text, assigned_label text, label_timestamp text) IS 'UpdateEventLabel: sets the label of a stored event and its label timestamp. Errors: 22023 a label that is not one of the event type''s, a bad timestamp; 42704 unknown event type or event.';
COMMENT ON FUNCTION @extschema@.fraud_update_list(name text, elements text[], description text, update_mode text, variable_type text) IS 'UpdateList: applies elements with update_mode REPLACE (default), APPEND or REMOVE (NULL elements: unchanged); sets description and a not yet set variable_type. Errors: 42704 no such list; 22023; 55006 changing a set variable type; 54000 APPEND past 100,000 elements.';
COMMENT ON FUNCTION @extschema@.fraud_update_model(model_id text, model_type text, description text) IS 'UpdateModel: sets the description (NULL clears it). Errors: 22023; 42704 no such model.';
COMMENT ON FUNCTION @extschema@.fraud_update_model_version(model_id text, model_type text, major_version_number text, external_events_detail jsonb, ingested_events_detail jsonb, tags jsonb) IS 'UpdateModelVersion: trains the next major version with the variables and label schema of major_version_number''s latest version, on new data (external_events_detail or ingested_events_detail; NULL keeps that version''s). Errors: 22023; 42704 unknown model or major version; 42501.';
COMMENT ON FUNCTION @extschema@.fraud_update_model_version_status(model_id text, model_type text, model_version_number text, status text) IS 'UpdateModelVersionStatus: ACTIVE (from TRAINING_COMPLETE or INACTIVE; detector versions may then use it), INACTIVE (unless an ACTIVE detector version uses it), or TRAINING_CANCELLED (stops its training job). Errors: 22023; 42704 no such version; 55006 not allowed from its status or in use.';
COMMENT ON FUNCTION @extschema@.fraud_update_rule_metadata(rule jsonb, description text) IS 'UpdateRuleMetadata: sets the description of the rule version {"detectorId", "ruleId", "ruleVersion"}. Errors: 42704 no such rule version; 22023 malformed reference or description.';
COMMENT ON FUNCTION @extschema@.fraud_update_rule_version(rule jsonb, expression text, outcomes text[], language text, description text, tags jsonb) IS 'UpdateRuleVersion: makes version n+1 (n = highest ever issued) of the rule referenced by rule, which must exist and is left unchanged; the expression is checked as in CreateRule. Returns the new rule reference. Errors: 42601; 22023; 42704; 54000 past 99,999 versions or a regex_match pattern past 1 MiB compiled.';
COMMENT ON FUNCTION @extschema@.fraud_update_variable(name text, default_value text, description text, variable_type text) IS 'UpdateVariable: sets the default value, description and/or variable type; NULL arguments leave the attribute unchanged. Errors: 42704 no such variable; 22023 a default that does not read as the data type or belongs to an aggregate variable, an unknown variable type.';
COMMENT ON FUNCTION @extschema@.fraud_voice_associate_fraudster(domain_id text, fraudster_id text, watchlist_id text) IS 'Voice ID AssociateFraudster: adds the fraudster to a watchlist of its domain (already there is fine); returns the fraudster row. Errors: 22023 malformed id; 42704 unknown domain, fraudster or watchlist.';
COMMENT ON FUNCTION @extschema@.fraud_voice_create_domain(name text, embedding_dimension integer, description text, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, tags jsonb) IS 'Voice ID CreateDomain: creates a domain (embedding dimension 1 to 4096, cosine-to-score calibration, speech minimum 5 to 10 s) and its default watchlist; returns the domain row. Errors: 22023 bad name, description, dimension, calibration (-1 <= cos_at_50 < cos_at_90 <= 1).';
COMMENT ON FUNCTION @extschema@.fraud_voice_create_watchlist(domain_id text, name text, description text) IS 'Voice ID CreateWatchlist: creates a watchlist in the domain; returns its row. Errors: 22023 bad name or description; 42704 unknown domain; 23505 a watchlist of that name exists in the domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_delete_domain(domain_id text) IS 'Voice ID DeleteDomain: deletes the domain with its watchlists, fraudsters, speakers, sessions, jobs and tags. Errors: 42704 unknown domain; 55006 one of its jobs is running.';
COMMENT ON FUNCTION @extschema@.fraud_voice_delete_fraudster(domain_id text, fraudster_id text) IS 'Voice ID DeleteFraudster: deletes the fraudster with its voiceprint and watchlist memberships. Errors: 22023 malformed id; 42704 unknown domain or fraudster.';
COMMENT ON FUNCTION @extschema@.fraud_voice_delete_speaker(domain_id text, speaker_id text) IS 'Voice ID DeleteSpeaker: deletes the speaker (by customer or generated id) with its voiceprint; a missing speaker is a NOTICE. Errors: 22023 malformed id; 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_delete_watchlist(domain_id text, watchlist_id text) IS 'Voice ID DeleteWatchlist: deletes an empty, non-default watchlist. Errors: 55006 the default watchlist or a non-empty one (CANNOT_DELETE_NON_EMPTY_WATCHLIST); 42704 unknown domain or watchlist.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_domain(domain_id text) IS 'Voice ID DescribeDomain: the domain row (watchlist_details holds DefaultWatchlistId). Errors: 22023 malformed id; 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_fraudster(domain_id text, fraudster_id text) IS 'Voice ID DescribeFraudster: the fraudster row (generated_fraudster_id, domain_id, watchlist_ids, created_at). Errors: 22023 malformed id; 42704 unknown domain or fraudster.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_fraudster_registration_job(domain_id text, job_id text) IS 'Voice ID DescribeFraudsterRegistrationJob: the job row (job_status, registration_config with defaults, job_progress, failure_details, counters). Errors: 22023 malformed id; 42704 unknown domain or job.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_speaker(domain_id text, speaker_id text) IS 'Voice ID DescribeSpeaker: the speaker row; speaker_id is the customer''s id or the generated id#... one. Errors: 22023 malformed id; 42704 unknown domain or speaker.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_speaker_enrollment_job(domain_id text, job_id text) IS 'Voice ID DescribeSpeakerEnrollmentJob: the job row (job_status, enrollment_config with defaults, job_progress, failure_details, counters). Errors: 22023 malformed id; 42704 unknown domain or job.';
COMMENT ON FUNCTION @extschema@.fraud_voice_describe_watchlist(domain_id text, watchlist_id text) IS 'Voice ID DescribeWatchlist: the watchlist row. Errors: 22023 malformed id; 42704 unknown domain or watchlist.';
COMMENT ON FUNCTION @extschema@.fraud_voice_disassociate_fraudster(domain_id text, fraudster_id text, watchlist_id text) IS 'Voice ID DisassociateFraudster: removes the fraudster from a watchlist; returns the fraudster row. Errors: 55006 its last watchlist (FRAUDSTER_MUST_BELONG_TO_AT_LEAST_ONE_WATCHLIST); 42704 not in that watchlist, or unknown domain, fraudster or watchlist.';
COMMENT ON FUNCTION @extschema@.fraud_voice_evaluate_session(domain_id text, session_name_or_id text, embedding real[], speech_seconds real, speaker_id text, watchlist_id text, authentication_threshold integer, fraud_risk_threshold integer, voice_spoofing_risk integer) IS 'Voice ID EvaluateSession: authenticates the caller''s embedding against speaker_id''s voiceprint and checks it against a watchlist (default when NULL; the closest fraudster''s score normalised for watchlists of more than 500 voices); returns Voice ID''s jsonb result and records the session. Errors: 22023 bad embedding, speech or 0-100 value; 42704 unknown ids.';
COMMENT ON FUNCTION @extschema@.fraud_voice_get_job_results(domain_id text, job_id text) IS 'The output of a fraudster registration or speaker enrolment job: one row per request in input order, result in Voice ID''s output-file shape (or ErrorCode, ErrorMessage). Errors: 22023 malformed id; 42704 unknown domain or job.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_domains() IS 'Voice ID ListDomains: every domain as a row, oldest first.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_fraudster_registration_jobs(domain_id text, job_status text) IS 'Voice ID ListFraudsterRegistrationJobs: the domain''s registration jobs, newest first, optionally only those with job_status. Errors: 22023 unknown status; 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_fraudsters(domain_id text, watchlist_id text) IS 'Voice ID ListFraudsters: the domain''s fraudsters, or one watchlist''s, oldest first. Fraudsters are created by registration jobs. Errors: 42704 unknown domain or watchlist.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_speaker_enrollment_jobs(domain_id text, job_status text) IS 'Voice ID ListSpeakerEnrollmentJobs: the domain''s enrolment jobs, newest first, optionally only those with job_status. Errors: 22023 unknown status; 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_speakers(domain_id text) IS 'Voice ID ListSpeakers: the domain''s speakers as rows (status ENROLLED, OPTED_OUT, EXPIRED or PENDING), oldest first. Errors: 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_list_watchlists(domain_id text) IS 'Voice ID ListWatchlists: the domain''s watchlists as rows, the default one first. Errors: 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_opt_out_speaker(domain_id text, speaker_id text) IS 'Voice ID OptOutSpeaker: makes the speaker OPTED_OUT and removes its voiceprint; an unknown customer speaker id is recorded as opted out. Returns the speaker row. Errors: 42704 unknown domain, or an unknown id#... speaker.';
COMMENT ON FUNCTION @extschema@.fraud_voice_start_fraudster_registration_job(domain_id text, input_data_config jsonb, job_name text, registration_config jsonb) IS 'Voice ID StartFraudsterRegistrationJob: starts a background job registering fraudsters from {"S3Uri": a table, query or JSON manifest path}, duplicates found with FraudsterSimilarityThreshold (the score normalised for domains of more than 500 fraudsters); returns the job row (SUBMITTED). Errors: 22023 bad input or config; 42704 unknown domain or watchlist; 42501 no read permission.';
COMMENT ON FUNCTION @extschema@.fraud_voice_start_speaker_enrollment_job(domain_id text, input_data_config jsonb, job_name text, enrollment_config jsonb) IS 'Voice ID StartSpeakerEnrollmentJob: starts a background job enrolling speakers from {"S3Uri": a table, query or JSON manifest path}, each checked against a watchlist first (by default a speaker whose closest fraudster in the default watchlist scores 50 or more fails, the score normalised for watchlists of more than 500 fraudsters; FraudDetectionConfig changes that, FraudDetectionAction IGNORE enrols anyway); returns the job row (SUBMITTED). Errors: 22023 bad input or config; 42704 unknown domain or watchlist; 42501 no read permission.';
COMMENT ON FUNCTION @extschema@.fraud_voice_update_domain(domain_id text, name text, description text, cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real) IS 'Voice ID UpdateDomain: replaces name and description (NULL description clears it); calibration and speech minimum change only when given; the dimension cannot change. Returns the domain row. Errors: 22023; 42704 unknown domain.';
COMMENT ON FUNCTION @extschema@.fraud_voice_update_watchlist(domain_id text, watchlist_id text, name text, description text) IS 'Voice ID UpdateWatchlist: changes the given name and/or description; returns the watchlist row. Errors: 55006 the default watchlist; 23505 the new name is taken; 22023; 42704 unknown domain or watchlist.';
COMMENT ON FUNCTION fraud._cache_usage() IS 'This session''s cache of compiled detector versions: its estimated bytes, its budget (fraud_detector.cache_size), and how many versions, rendered results and shared lists it keeps.';
COMMENT ON FUNCTION fraud._raise(sqlstate text, message text, detail text, hint text) IS 'Internal: raises an ERROR with this SQLSTATE, message and optional DETAIL and HINT, without CONTEXT lines (XX000 keeps them); the SQL helpers fraud._invalid, _not_found, _conflict, _duplicate, _required raise through it.';
COMMENT ON FUNCTION fraud._replay(detector_id text, detector_version_id text, event_variables jsonb, entities jsonb, event_timestamp timestamp with time zone) IS 'Internal: a stored event (its variables, entities and time) scored as the detector version would have at the event''s time, aggregates seeing only events stored before it (fraud_backtest).';
COMMENT ON FUNCTION fraud._score(detector_id text, event jsonb, detector_version_id text, explain boolean) IS 'Internal: one scoring of an event, returning fraud_predict''s, fraud_outcomes'' and (explain) fraud_explain''s answers together.';
COMMENT ON FUNCTION fraud._score_historical(detector_id text, event jsonb, detector_version_id text) IS 'Internal: fraud._score (without the explanation) of an event replayed at its eventTimestamp, its aggregate variables seeing only events stored before it (batch prediction jobs).';
COMMENT ON FUNCTION fraud._voice_nearest_normalized(domain_id text, embedding real[], watchlist_id text, cos_at_50 real, extra_ids text[], extra real[]) IS 'The domain''s fraudster closest to a unit embedding among a watchlist''s members (every fraudster when NULL) and unstored extra voiceprints: its id, cosine, and the cosine less the watchlist-size shift (0 up to 500 voices searched) that the fraud and duplicate checks score (docs/voice-id.md, Large watchlists). No row without a candidate. Errors: 42704 unknown domain.';
COMMENT ON FUNCTION fraud._voice_score_shift(domain_id text, watchlist_id text, cos_at_50 real) IS 'The cosine shift the fraud check applies to a watchlist of the domain (the whole domain when NULL) under a score-50 anchor of cos_at_50: 0 up to 500 voices, else from the cosines between the domain''s unrelated voices (docs/voice-id.md, Large watchlists). Errors: 42704 unknown domain.';
COMMENT ON TABLE fraud.aggregate_variable_event_types IS 'The event types whose stored events an aggregate variable reads.';
COMMENT ON TABLE fraud.aggregate_variables IS 'Aggregate (velocity) variables: what each computes over the stored events that share a key with the scored event (docs/velocity-and-backtesting.md). The name, data type and description are the row of fraud.variables with data source AGGREGATE.';
COMMENT ON TABLE fraud.batch_import_errors IS 'Failed records of batch import jobs (fraud_get_batch_import_job_errors): the first failing check of each rejected row.';
COMMENT ON TABLE fraud.cluster_changes IS 'Catalog changes on their way from the Citus coordinator to the workers (docs/scale-out.md): a reference table after fraud_citus_setup(), written and emptied within each catalog-changing statement; a trigger on each worker applies the rows to its catalog in the same two-phase-committed transaction. Always empty between statements; not dumped.';
COMMENT ON TABLE fraud.detector_version_rules IS 'The rule versions of each detector version, in evaluation order; a rule at most once per detector version. ON DELETE RESTRICT keeps a rule version in use from being deleted.';
COMMENT ON TABLE fraud.detector_versions IS 'AFD detector versions: an ordered set of rule versions (fraud.detector_version_rules) with a rule execution mode and the DRAFT -> ACTIVE <-> INACTIVE life cycle. Prediction uses the detector''s ACTIVE version unless a version is named.';
COMMENT ON TABLE fraud.detectors IS 'AFD detectors (PutDetector): the container of rules (fraud.rules) and detector versions (fraud.detector_versions) for one event type.';
COMMENT ON TABLE fraud.entity_types IS 'AFD entity types (PutEntityType): who performs an event, e.g. customer. An event type lists the entity types its events may name.';
COMMENT ON TABLE fraud.event_key_specs IS 'The keys fraud.event_keys holds for each event type: those the aggregate variables group by (fraud._sync_event_keys). Derived, not dumped.';
COMMENT ON TABLE fraud.event_keys IS 'Derived index of stored events by the keys aggregate variables group by (docs/velocity-and-backtesting.md), maintained by triggers on fraud.events and fraud.aggregate_variables; not dumped, rebuilt on restore.';
COMMENT ON TABLE fraud.event_predictions IS 'Prediction history: one row per fraud_get_event_prediction call (fraud_predict records nothing), read by fraud_list_event_predictions and fraud_get_event_prediction_metadata, and the outbox of prediction notifications, read by prediction_id (docs/sql-reference.md, "Prediction notifications"); and, with shadow = true, one row per shadow version such a call scored, read by fraud_rule_stats only. Kept until deleted (no 30-day limit).';
COMMENT ON TABLE fraud.event_type_entity_types IS 'The entity types of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps an entity type in use from being deleted.';
COMMENT ON TABLE fraud.event_type_labels IS 'The labels of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps a label in use from being deleted.';
COMMENT ON TABLE fraud.event_type_variables IS 'The variables of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps a variable in use from being deleted.';
COMMENT ON TABLE fraud.event_types IS 'AFD event types (PutEventType): the shape of a business activity to score. Members are in fraud.event_type_variables, fraud.event_type_entity_types and fraud.event_type_labels; a detector scores events of one event type.';
COMMENT ON TABLE fraud.events IS 'Stored events (SendEvent, batch import, GetEventPrediction with ingestion ENABLED), one row per event type and event id: the training data of models.';
COMMENT ON TABLE fraud.external_models IS 'External models (PutExternalModel): modelEndpoint names a SQL function schema.fn(jsonb) RETURNS jsonb that scores an event; its outputs map to EXTERNAL_MODEL_SCORE variables.';
COMMENT ON TABLE fraud.jobs IS 'Asynchronous jobs run by background workers: batch import, batch prediction, deleting an event type''s events, Voice ID fraudster registration and speaker enrolment. Counters and heartbeat commit batch by batch, so any session sees progress.';
COMMENT ON TABLE fraud.labels IS 'AFD labels (PutLabel): what an event turned out to be, e.g. fraud / legit. An event type lists the labels its stored events may carry (fraud.events.event_label).';
COMMENT ON TABLE fraud.list_elements IS 'The elements of each list: a set, one row per distinct element.';
COMMENT ON TABLE fraud.lists IS 'AFD lists (CreateList): named sets of strings that rule expressions test with in @name. Elements are in fraud.list_elements (at most 100,000 per list).';
COMMENT ON TABLE fraud.model_versions IS 'Model versions (CreateModelVersion, UpdateModelVersion): the training request, its results in AFD''s shapes, and the trained model.';
COMMENT ON TABLE fraud.models IS 'Models (CreateModel): a model id and type trained on events of one event type; its trained versions are fraud.model_versions.';
COMMENT ON TABLE fraud.outcomes IS 'AFD outcomes (PutOutcome): what a matching rule tells the caller to do, e.g. review / block. Rule versions yield them (fraud.rule_version_outcomes); fraud_predict returns them.';
COMMENT ON TABLE fraud.rule_version_lists IS 'The lists each rule version''s expression names with @name, derived from the expression when it is written. ON DELETE RESTRICT keeps a list in use from being deleted.';
COMMENT ON TABLE fraud.rule_version_outcomes IS 'The outcomes each rule version yields when it matches, in the order given. ON DELETE RESTRICT keeps an outcome in use from being deleted.';
COMMENT ON TABLE fraud.rule_versions IS 'AFD rule versions (CreateRule, UpdateRuleVersion): a DETECTORPL expression and the outcomes it yields (fraud.rule_version_outcomes). The expression of a version never changes; only the description can (UpdateRuleMetadata).';
COMMENT ON TABLE fraud.rules IS 'AFD rules (CreateRule): one row per rule of a detector. The expressions are in its versions (fraud.rule_versions); the row is deleted with the rule''s last version.';
COMMENT ON TABLE fraud.tags IS 'Tags of every resource (TagResource etc.), at most 200 per resource, keyed by the ARN''s resource part. The ARN (arn:fraud:<database>:<resource_type>/<resource_id>) is computed from the current database name.';
COMMENT ON TABLE fraud.variable_types IS 'The variable types AFD accepts (VariableType), e.g. EMAIL_ADDRESS, IP_ADDRESS, PRICE: what fraud.variables.variable_type and fraud.lists.variable_type may name. Fixed by the extension; not user data.';
COMMENT ON TABLE fraud.variables IS 'AFD variables (CreateVariable): the typed fields of an event, read by rules as $name. An event that lacks a variable gets its default_value.';
COMMENT ON TABLE fraud.voice_domains IS 'Voice ID domains: each fixes the embedding dimension, the cosine-to-score calibration and the speech minimum for its watchlists, fraudsters, speakers and sessions (docs/voice-id.md).';
COMMENT ON TABLE fraud.voice_fraudster_changes IS 'The chain of a domain''s fraudsters_stamp values: each new stamp, the stamp it replaced and the fraudsters the change touched (NULL: too many to list). Lets a backend bring its cached fraudster index forward instead of reloading it (docs/voice-id.md); pruned to about the latest 200 links per domain; not dumped (a missing link only means a full load).';
COMMENT ON TABLE fraud.voice_fraudster_watchlists IS 'Watchlist membership of fraudsters (AssociateFraudster, DisassociateFraudster); every fraudster is in at least one watchlist (enforced by the functions).';
COMMENT ON TABLE fraud.voice_fraudsters IS 'Voice ID fraudsters: known fraudsters'' voiceprints, created by fraudster registration jobs; each is in at least one watchlist (fraud.voice_fraudster_watchlists).';
COMMENT ON TABLE fraud.voice_job_results IS 'Output of Voice ID jobs: one row per request, in input order, in the shape of Voice ID''s job output file (fraud_voice_get_job_results).';
COMMENT ON TABLE fraud.voice_sessions IS 'Sessions (calls) EvaluateSession has seen. A session is named by the caller; its id is derived from domain and name, so a name always gives the same id.';
COMMENT ON TABLE fraud.voice_speakers IS 'Voice ID speakers: callers known by their own id and a generated id#... one; enrolled by speaker enrolment jobs, authenticated by fraud_voice_evaluate_session.';
COMMENT ON TABLE fraud.voice_watchlists IS 'Voice ID watchlists: named groups of fraudsters in a domain. The domain''s default watchlist cannot be changed or deleted; a non-empty watchlist cannot be deleted.';

-- Issue 14: the trigger that applies catalog changes on a Citus worker (its function exists now).
CREATE TRIGGER apply_on_worker AFTER INSERT ON fraud.cluster_changes
    REFERENCING NEW TABLE AS changes FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_apply();

-- Issue 13: the triggers that keep fraud.event_keys in step with the stored events and the
-- aggregate definitions (their functions now exist). A 0.1.0 database has no aggregate
-- variables, so there are no keys to build.
-- ENABLE ALWAYS, like the cache's triggers: a change applied under session_replication_role =
-- replica must keep the keys in step too.
CREATE TRIGGER event_keys_insert AFTER INSERT ON fraud.events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_delete AFTER DELETE ON fraud.events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_update AFTER UPDATE ON fraud.events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_truncate AFTER TRUNCATE ON fraud.events
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_truncate();
CREATE TRIGGER sync_event_keys AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.aggregate_variable_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
CREATE TRIGGER sync_event_keys AFTER UPDATE OF entity_type, group_by_variable, variable, filter ON fraud.aggregate_variables
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_insert;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_delete;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_update;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_truncate;
ALTER TABLE fraud.aggregate_variable_event_types ENABLE ALWAYS TRIGGER sync_event_keys;
ALTER TABLE fraud.aggregate_variables ENABLE ALWAYS TRIGGER sync_event_keys;
-- Shadow versions: the grants of the replaced public functions, then the old functions go.
DO $$
DECLARE g record;
BEGIN
    FOR g IN
        SELECT o.new_signature, a.grantee
        FROM (VALUES ('@extschema@.fraud_describe_detector_before_shadow(text)'::regprocedure,
                      '@extschema@.fraud_describe_detector(text)'::regprocedure),
                     ('@extschema@.fraud_get_detector_version_before_shadow(text, text)'::regprocedure,
                      '@extschema@.fraud_get_detector_version(text, text)'::regprocedure)) o(old_signature, new_signature)
        JOIN pg_catalog.pg_proc p ON p.oid = o.old_signature
        CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
        WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', g.new_signature, g.grantee::regrole);
    END LOOP;
END $$;
DROP FUNCTION @extschema@.fraud_describe_detector_before_shadow(text);
DROP FUNCTION @extschema@.fraud_get_detector_version_before_shadow(text, text);

-- Issue 9: triggers on the model tables (their functions exist now): compiled detector versions
-- are invalidated by changes to models, model versions and external models; the keys of stored
-- events follow the history-reading models' trained versions.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['models', 'model_versions', 'external_models'] LOOP
        EXECUTE format('CREATE TRIGGER invalidate_compiled_detectors
                        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION fraud._catalog_changed()', t);
        EXECUTE format('ALTER TABLE fraud.%I ENABLE ALWAYS TRIGGER invalidate_compiled_detectors', t);
    END LOOP;
END $$;
CREATE TRIGGER sync_event_keys AFTER INSERT OR DELETE OR UPDATE OF model_data OR TRUNCATE ON fraud.model_versions
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_model_event_keys();
ALTER TABLE fraud.model_versions ENABLE ALWAYS TRIGGER sync_event_keys;

-- Data: enrolment jobs started under 0.1.0 and still running keep 0.1.0's meaning. Without a
-- FraudDetectionConfig they enrolled without a fraud check, so they get an explicit IGNORE;
-- jobs created from 0.2.0 on run the check unless told otherwise (docs/voice-id.md).
UPDATE fraud.jobs
SET config = jsonb_set(coalesce(config, '{}'), '{FraudDetectionConfig}', '{"FraudDetectionAction": "IGNORE"}')
WHERE job_type = 'SPEAKER_ENROLLMENT' AND fraud._job_active(status)
  AND NOT coalesce(config ? 'FraudDetectionConfig', false);

-- Issue 12 (one Voice ID index per server, docs/voice-id.md): before any fraudster or
-- membership row changes, the transaction is marked as changing a domain, so no shared index
-- file is written from what its searches read.
CREATE TRIGGER changing BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.voice_fraudsters
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_changing();
CREATE TRIGGER changing BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.voice_fraudster_watchlists
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_changing();
ALTER TABLE fraud.voice_fraudsters ENABLE ALWAYS TRIGGER changing;
ALTER TABLE fraud.voice_fraudster_watchlists ENABLE ALWAYS TRIGGER changing;

-- Last: the privilege model on every function, new and replaced (sql/privileges.sql).
SELECT fraud._secure_api();
