-- fraud_detector catalog: every Amazon Fraud Detector resource as a real table in schema `fraud`.
-- Constraints restate the reference (frauddetector-2019-11-15.api.json): name patterns, lengths,
-- enums and references between objects. The fraud_* functions validate first so callers get the
-- SPEC §2 SQLSTATEs; these constraints are the backstop for anyone writing the tables directly.

CREATE SCHEMA IF NOT EXISTS fraud;
COMMENT ON SCHEMA fraud IS 'fraud_detector catalog (Amazon Fraud Detector resources)';

-- The variable types AFD accepts (VariableType / list variableType).
CREATE TABLE fraud.variable_types (
    name text PRIMARY KEY
);
INSERT INTO fraud.variable_types(name) VALUES
  ('AUTH_CODE'), ('AVS'), ('BILLING_ADDRESS_L1'), ('BILLING_ADDRESS_L2'), ('BILLING_CITY'),
  ('BILLING_COUNTRY'), ('BILLING_NAME'), ('BILLING_PHONE'), ('BILLING_STATE'), ('BILLING_ZIP'),
  ('CARD_BIN'), ('CATEGORICAL'), ('CURRENCY_CODE'), ('EMAIL_ADDRESS'), ('FINGERPRINT'),
  ('FRAUD_LABEL'), ('FREE_FORM_TEXT'), ('IP_ADDRESS'), ('NUMERIC'), ('ORDER_ID'), ('PAYMENT_TYPE'),
  ('PHONE_NUMBER'), ('PRICE'), ('PRODUCT_CATEGORY'), ('SHIPPING_ADDRESS_L1'),
  ('SHIPPING_ADDRESS_L2'), ('SHIPPING_CITY'), ('SHIPPING_COUNTRY'), ('SHIPPING_NAME'),
  ('SHIPPING_PHONE'), ('SHIPPING_STATE'), ('SHIPPING_ZIP'), ('USERAGENT');
COMMENT ON TABLE fraud.variable_types IS 'Fixed list of AFD variable types; not user data';

CREATE TABLE fraud.entity_types (
    name              text PRIMARY KEY
                      CONSTRAINT entity_type_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT entity_type_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fraud.labels (
    name              text PRIMARY KEY
                      CONSTRAINT label_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT label_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fraud.outcomes (
    name              text PRIMARY KEY
                      CONSTRAINT outcome_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT outcome_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);

-- Variable names are stricter than the reference's plain string: a rule reads `$name`, so the
-- name must be a rule-language identifier.
CREATE TABLE fraud.variables (
    name              text PRIMARY KEY
                      CONSTRAINT variable_name_pattern CHECK (name ~ '^[0-9a-z_]{1,64}$'),
    data_type         text NOT NULL
                      CONSTRAINT variable_data_type_enum CHECK (data_type IN ('STRING', 'INTEGER', 'FLOAT', 'BOOLEAN', 'DATETIME')),
    data_source       text NOT NULL
                      CONSTRAINT variable_data_source_enum CHECK (data_source IN ('EVENT', 'MODEL_SCORE', 'EXTERNAL_MODEL_SCORE')),
    default_value     text NOT NULL,
    description       text,
    variable_type     text REFERENCES fraud.variable_types(name),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fraud.event_types (
    name                text PRIMARY KEY
                        CONSTRAINT event_type_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description         text CONSTRAINT event_type_description_length CHECK (length(description) BETWEEN 1 AND 128),
    event_ingestion     text NOT NULL DEFAULT 'ENABLED'
                        CONSTRAINT event_type_ingestion_enum CHECK (event_ingestion IN ('ENABLED', 'DISABLED')),
    event_orchestration jsonb,
    created_time        timestamptz NOT NULL DEFAULT now(),
    last_updated_time   timestamptz NOT NULL DEFAULT now()
);

-- The members of an event type, in the order they were given. RESTRICT on the member side is
-- what makes "a variable / entity type / label used by an event type cannot be deleted" hold.
CREATE TABLE fraud.event_type_variables (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    variable_name   text NOT NULL REFERENCES fraud.variables(name) ON DELETE RESTRICT,
    position        int  NOT NULL,
    PRIMARY KEY (event_type_name, variable_name)
);
CREATE INDEX ON fraud.event_type_variables(variable_name);

CREATE TABLE fraud.event_type_entity_types (
    event_type_name  text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    entity_type_name text NOT NULL REFERENCES fraud.entity_types(name) ON DELETE RESTRICT,
    position         int  NOT NULL,
    PRIMARY KEY (event_type_name, entity_type_name)
);
CREATE INDEX ON fraud.event_type_entity_types(entity_type_name);

CREATE TABLE fraud.event_type_labels (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    label_name      text NOT NULL REFERENCES fraud.labels(name) ON DELETE RESTRICT,
    position        int  NOT NULL,
    PRIMARY KEY (event_type_name, label_name)
);
CREATE INDEX ON fraud.event_type_labels(label_name);

CREATE TABLE fraud.lists (
    name          text PRIMARY KEY
                  CONSTRAINT list_name_pattern CHECK (name ~ '^[0-9a-z_]{1,64}$'),
    description   text CONSTRAINT list_description_length CHECK (length(description) BETWEEN 1 AND 128),
    variable_type text REFERENCES fraud.variable_types(name),
    created_time  timestamptz NOT NULL DEFAULT now(),
    updated_time  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fraud.list_elements (
    list_name text NOT NULL REFERENCES fraud.lists(name) ON DELETE CASCADE,
    element   text NOT NULL
              CONSTRAINT list_element_pattern CHECK (element ~ '^\S+( +\S+)*$' AND length(element) <= 320),
    PRIMARY KEY (list_name, element)
);

CREATE TABLE fraud.detectors (
    detector_id       text PRIMARY KEY
                      CONSTRAINT detector_id_pattern CHECK (detector_id ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT detector_description_length CHECK (length(description) BETWEEN 1 AND 128),
    event_type_name   text NOT NULL REFERENCES fraud.event_types(name) ON DELETE RESTRICT,
    -- highest detector version id ever issued, so a deleted version's id is never reused
    last_version_id   int  NOT NULL DEFAULT 0,
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON fraud.detectors(event_type_name);

CREATE TABLE fraud.rules (
    detector_id     text NOT NULL REFERENCES fraud.detectors(detector_id) ON DELETE RESTRICT,
    rule_id         text NOT NULL CONSTRAINT rule_id_pattern CHECK (rule_id ~ '^[0-9a-z_-]{1,64}$'),
    -- highest rule version ever issued (UpdateRuleVersion makes n+1, never a reused n)
    last_version    int  NOT NULL DEFAULT 1,
    created_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (detector_id, rule_id)
);

CREATE TABLE fraud.rule_versions (
    detector_id       text NOT NULL,
    rule_id           text NOT NULL,
    rule_version      int  NOT NULL CONSTRAINT rule_version_range CHECK (rule_version BETWEEN 1 AND 99999),
    description       text CONSTRAINT rule_description_length CHECK (length(description) BETWEEN 1 AND 128),
    expression        text NOT NULL CONSTRAINT rule_expression_length CHECK (length(expression) BETWEEN 1 AND 4096),
    language          text NOT NULL DEFAULT 'DETECTORPL' CONSTRAINT rule_language_enum CHECK (language = 'DETECTORPL'),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (detector_id, rule_id, rule_version),
    FOREIGN KEY (detector_id, rule_id) REFERENCES fraud.rules(detector_id, rule_id) ON DELETE CASCADE
);

CREATE TABLE fraud.rule_version_outcomes (
    detector_id  text NOT NULL,
    rule_id      text NOT NULL,
    rule_version int  NOT NULL,
    outcome_name text NOT NULL REFERENCES fraud.outcomes(name) ON DELETE RESTRICT,
    position     int  NOT NULL,
    PRIMARY KEY (detector_id, rule_id, rule_version, outcome_name),
    FOREIGN KEY (detector_id, rule_id, rule_version)
        REFERENCES fraud.rule_versions(detector_id, rule_id, rule_version) ON DELETE CASCADE
);
CREATE INDEX ON fraud.rule_version_outcomes(outcome_name);

-- Lists an expression names with @list; what keeps a list in use from being deleted.
CREATE TABLE fraud.rule_version_lists (
    detector_id  text NOT NULL,
    rule_id      text NOT NULL,
    rule_version int  NOT NULL,
    list_name    text NOT NULL REFERENCES fraud.lists(name) ON DELETE RESTRICT,
    PRIMARY KEY (detector_id, rule_id, rule_version, list_name),
    FOREIGN KEY (detector_id, rule_id, rule_version)
        REFERENCES fraud.rule_versions(detector_id, rule_id, rule_version) ON DELETE CASCADE
);
CREATE INDEX ON fraud.rule_version_lists(list_name);

CREATE TABLE fraud.detector_versions (
    detector_id              text NOT NULL REFERENCES fraud.detectors(detector_id) ON DELETE RESTRICT,
    detector_version_id      int  NOT NULL CONSTRAINT detector_version_id_range CHECK (detector_version_id BETWEEN 1 AND 99999),
    description              text CONSTRAINT detector_version_description_length CHECK (length(description) BETWEEN 1 AND 128),
    status                   text NOT NULL DEFAULT 'DRAFT'
                             CONSTRAINT detector_version_status_enum CHECK (status IN ('DRAFT', 'ACTIVE', 'INACTIVE')),
    rule_execution_mode      text NOT NULL DEFAULT 'FIRST_MATCHED'
                             CONSTRAINT detector_version_rule_execution_mode_enum CHECK (rule_execution_mode IN ('ALL_MATCHED', 'FIRST_MATCHED')),
    external_model_endpoints text[] NOT NULL DEFAULT '{}',
    -- [{"modelId", "modelType", "modelVersionNumber"}], checked by fraud._model_versions()
    model_versions           jsonb NOT NULL DEFAULT '[]'
                             CONSTRAINT detector_version_model_versions_array CHECK (jsonb_typeof(model_versions) = 'array'),
    created_time             timestamptz NOT NULL DEFAULT now(),
    last_updated_time        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (detector_id, detector_version_id)
);
-- one ACTIVE version per detector
CREATE UNIQUE INDEX detector_versions_one_active ON fraud.detector_versions(detector_id) WHERE status = 'ACTIVE';

-- The rules of a detector version, in evaluation order. RESTRICT keeps a rule version that a
-- detector version uses from disappearing underneath it.
CREATE TABLE fraud.detector_version_rules (
    detector_id         text NOT NULL,
    detector_version_id int  NOT NULL,
    position            int  NOT NULL,
    rule_id             text NOT NULL,
    rule_version        int  NOT NULL,
    PRIMARY KEY (detector_id, detector_version_id, position),
    UNIQUE (detector_id, detector_version_id, rule_id),
    FOREIGN KEY (detector_id, detector_version_id)
        REFERENCES fraud.detector_versions(detector_id, detector_version_id) ON DELETE CASCADE,
    FOREIGN KEY (detector_id, rule_id, rule_version)
        REFERENCES fraud.rule_versions(detector_id, rule_id, rule_version) ON DELETE RESTRICT
);
CREATE INDEX ON fraud.detector_version_rules(detector_id, rule_id, rule_version);

-- Tags of every resource, keyed by the ARN's resource part (type + id); the ARN itself is
-- computed from the current database name, so a restored copy under another name still works.
CREATE TABLE fraud.tags (
    resource_type text NOT NULL
                  CONSTRAINT tag_resource_type_enum CHECK (resource_type IN
                    ('entity-type', 'event-type', 'variable', 'label', 'outcome', 'list',
                     'detector', 'detector-version', 'rule', 'batch-import', 'batch-prediction', 'voice-domain')),
    resource_id   text NOT NULL,
    key           text NOT NULL CONSTRAINT tag_key_length CHECK (length(key) BETWEEN 1 AND 128),
    value         text NOT NULL CONSTRAINT tag_value_length CHECK (length(value) <= 256),
    PRIMARY KEY (resource_type, resource_id, key)
);

-- Stored events (SendEvent, batch import, GetEventPrediction with ingestion ENABLED): the
-- training data of models. One row per (event type, event id); the timestamp index serves
-- time-window reads and ListEventPredictions-style scans. Not partitioned by time: the event id
-- must stay unique per event type, which a time-partitioned table cannot enforce; deleting an
-- event type's events runs as a batched job instead of a partition drop.
CREATE TABLE fraud.events (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    event_id        text NOT NULL CONSTRAINT event_id_pattern CHECK (event_id ~ '^[0-9a-z_-]{1,64}$'),
    event_timestamp timestamptz NOT NULL,
    -- [{"entityType", "entityId"}]
    entities        jsonb NOT NULL CONSTRAINT event_entities_array CHECK (jsonb_typeof(entities) = 'array'),
    -- {"variable": "value"}, values as text like AFD's EventVariableMap
    event_variables jsonb NOT NULL CONSTRAINT event_variables_object CHECK (jsonb_typeof(event_variables) = 'object'),
    event_label     text REFERENCES fraud.labels(name) ON DELETE RESTRICT,
    label_timestamp timestamptz,
    ingested_time   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_type_name, event_id),
    CONSTRAINT event_label_has_timestamp CHECK ((event_label IS NULL) = (label_timestamp IS NULL))
);
CREATE INDEX events_by_time ON fraud.events(event_type_name, event_timestamp);

-- Prediction history: every fraud_get_event_prediction call (fraud_predict stays pure).
-- No foreign keys on purpose: an audit record outlives the detector version it names.
CREATE TABLE fraud.event_predictions (
    prediction_id        bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    detector_id          text NOT NULL,
    detector_version_id  int  NOT NULL,
    event_type_name      text NOT NULL,
    event_id             text NOT NULL,
    event_timestamp      timestamptz NOT NULL,
    prediction_timestamp timestamptz NOT NULL DEFAULT clock_timestamp(),
    entities             jsonb NOT NULL,
    -- GetEventPrediction's response
    result               jsonb NOT NULL,
    -- GetEventPredictionMetadata's response without the prediction timestamp
    metadata             jsonb NOT NULL
);
CREATE INDEX event_predictions_by_event ON fraud.event_predictions(event_type_name, event_id);
CREATE INDEX event_predictions_by_time ON fraud.event_predictions(prediction_timestamp);

-- Voice ID (fraudster watchlists, speakers) -------------------------------------------------
-- Ids follow the reference: 22 letters and digits for domains, watchlists and jobs; 'id#' and
-- 22 for generated fraudster, speaker and session ids (fraud._voice_new_id()).
CREATE SEQUENCE fraud.voice_stamps;

CREATE TABLE fraud.voice_domains (
    domain_id           text PRIMARY KEY CONSTRAINT voice_domain_id_pattern CHECK (domain_id ~ '^[a-zA-Z0-9]{22}$'),
    name                text NOT NULL
                        CONSTRAINT voice_domain_name_pattern CHECK (name ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(name) <= 256),
    description         text CONSTRAINT voice_domain_description_pattern
                        CHECK (length(description) BETWEEN 1 AND 1024 AND description ~ '^[[:alpha:][:space:][:digit:]_.:/=+%@-]*$'),
    domain_status       text NOT NULL DEFAULT 'ACTIVE'
                        CONSTRAINT voice_domain_status_enum CHECK (domain_status IN ('ACTIVE', 'PENDING', 'SUSPENDED')),
    -- every voiceprint of the domain has this many elements
    embedding_dimension int  NOT NULL CONSTRAINT voice_domain_dimension_range CHECK (embedding_dimension BETWEEN 1 AND 4096),
    -- the cosine-to-score calibration: cosine cos_at_50 scores 50, cos_at_90 scores 90
    cos_at_50           real NOT NULL DEFAULT 0.35,
    cos_at_90           real NOT NULL DEFAULT 0.60,
    -- speech an authentication or fraud check needs (Voice ID: 10 s by default, 5 to 10)
    authentication_min_speech_seconds real NOT NULL DEFAULT 10
                        CONSTRAINT voice_domain_min_speech_range CHECK (authentication_min_speech_seconds BETWEEN 5 AND 10),
    -- a fresh value from fraud.voice_stamps whenever the domain's fraudsters or their
    -- watchlists change: what the per-backend fraudster index is keyed by
    fraudsters_stamp    bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT voice_domain_calibration CHECK (-1 <= cos_at_50 AND cos_at_50 < cos_at_90 AND cos_at_90 <= 1)
);

CREATE TABLE fraud.voice_watchlists (
    domain_id         text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    watchlist_id      text PRIMARY KEY CONSTRAINT voice_watchlist_id_pattern CHECK (watchlist_id ~ '^[a-zA-Z0-9]{22}$'),
    name              text NOT NULL
                      CONSTRAINT voice_watchlist_name_pattern CHECK (name ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(name) <= 256),
    description       text CONSTRAINT voice_watchlist_description_pattern
                      CHECK (length(description) BETWEEN 1 AND 1024 AND description ~ '^[[:alpha:][:space:][:digit:]_.:/=+%@-]*$'),
    default_watchlist boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain_id, watchlist_id),
    UNIQUE (domain_id, name)
);
CREATE UNIQUE INDEX voice_one_default_watchlist ON fraud.voice_watchlists(domain_id) WHERE default_watchlist;

-- A fraudster's voiceprint: L2-normalised, of the domain's dimension.
CREATE TABLE fraud.voice_fraudsters (
    domain_id      text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    fraudster_id   text PRIMARY KEY CONSTRAINT voice_fraudster_id_pattern CHECK (fraudster_id ~ '^id#[a-zA-Z0-9]{22}$'),
    embedding      real[] NOT NULL
                   CONSTRAINT voice_fraudster_embedding_vector CHECK (array_ndims(embedding) = 1 AND array_position(embedding, NULL) IS NULL),
    speech_seconds real NOT NULL CONSTRAINT voice_fraudster_speech CHECK (speech_seconds >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain_id, fraudster_id)
);

-- Watchlist membership; every fraudster is in at least one (enforced by the functions).
CREATE TABLE fraud.voice_fraudster_watchlists (
    domain_id    text NOT NULL,
    fraudster_id text NOT NULL,
    watchlist_id text NOT NULL,
    PRIMARY KEY (fraudster_id, watchlist_id),
    FOREIGN KEY (domain_id, fraudster_id) REFERENCES fraud.voice_fraudsters(domain_id, fraudster_id) ON DELETE CASCADE,
    -- DeleteWatchlist refuses a non-empty watchlist; the cascade is for DeleteDomain
    FOREIGN KEY (domain_id, watchlist_id) REFERENCES fraud.voice_watchlists(domain_id, watchlist_id) ON DELETE CASCADE
);
CREATE INDEX voice_fraudster_watchlists_by_watchlist ON fraud.voice_fraudster_watchlists(watchlist_id);

CREATE TABLE fraud.voice_speakers (
    domain_id            text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    generated_speaker_id text PRIMARY KEY CONSTRAINT voice_speaker_id_pattern CHECK (generated_speaker_id ~ '^id#[a-zA-Z0-9]{22}$'),
    customer_speaker_id  text NOT NULL
                         CONSTRAINT voice_customer_speaker_id_pattern CHECK (customer_speaker_id ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(customer_speaker_id) <= 256),
    status               text NOT NULL
                         CONSTRAINT voice_speaker_status_enum CHECK (status IN ('ENROLLED', 'EXPIRED', 'OPTED_OUT', 'PENDING')),
    embedding            real[] CONSTRAINT voice_speaker_embedding_vector CHECK (array_ndims(embedding) = 1 AND array_position(embedding, NULL) IS NULL),
    speech_seconds       real,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    last_accessed_at     timestamptz,
    UNIQUE (domain_id, customer_speaker_id),
    CONSTRAINT voice_enrolled_speaker_has_voiceprint CHECK (status <> 'ENROLLED' OR embedding IS NOT NULL)
);

-- Sessions EvaluateSession has seen (by name; the id is derived from domain and name).
CREATE TABLE fraud.voice_sessions (
    domain_id    text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    session_id   text PRIMARY KEY CONSTRAINT voice_session_id_pattern CHECK (session_id ~ '^id#[a-zA-Z0-9]{22}$'),
    session_name text NOT NULL
                 CONSTRAINT voice_session_name_pattern CHECK (session_name ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(session_name) <= 36),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain_id, session_name)
);

-- Asynchronous jobs: batch import, batch prediction, and deleting an event type's events
-- (job_id = the event type's name). A job's counters and heartbeat are committed batch by
-- batch by its background worker, so any session sees its progress.
CREATE TABLE fraud.jobs (
    job_type            text NOT NULL
                        CONSTRAINT job_type_enum CHECK (job_type IN ('BATCH_IMPORT', 'BATCH_PREDICTION', 'DELETE_EVENTS',
                            'FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT')),
    -- AFD job ids are identifiers, Voice ID's are generated (22 letters and digits)
    job_id              text NOT NULL CONSTRAINT job_id_pattern CHECK (job_id ~ '^[0-9a-z_-]{1,64}$' OR
                            (job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT') AND job_id ~ '^[a-zA-Z0-9]{22}$')),
    -- AFD's AsyncJobStatus, or Voice ID's job statuses for Voice ID jobs
    status              text NOT NULL DEFAULT 'IN_PROGRESS_INITIALIZING'
                        CONSTRAINT job_status_enum CHECK (status IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS',
                            'CANCEL_IN_PROGRESS', 'CANCELED', 'COMPLETE', 'FAILED',
                            'SUBMITTED', 'COMPLETED', 'COMPLETED_WITH_ERRORS')),
    failure_reason      text,
    event_type_name     text,
    -- Voice ID jobs: the domain, the job's name and its RegistrationConfig / EnrollmentConfig
    domain_id           text REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    job_name            text CONSTRAINT job_name_pattern CHECK (job_name ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(job_name) <= 256),
    config              jsonb,
    detector_id         text,
    detector_version_id int,
    -- where the input comes from: a table, a query, or a server-side CSV file
    input_kind          text NOT NULL CONSTRAINT job_input_kind_enum CHECK (input_kind IN ('TABLE', 'QUERY', 'FILE', 'EVENTS')),
    input_path          text NOT NULL,
    -- batch prediction: the output table (created with the job)
    output_path         text,
    -- the role that created the job; its worker runs as this role
    owner               oid  NOT NULL,
    -- the creator's search_path, so the worker resolves names in a query input the same way
    search_path         text NOT NULL DEFAULT '',
    processed_records_count bigint NOT NULL DEFAULT 0,
    failed_records_count    bigint NOT NULL DEFAULT 0,
    total_records_count     bigint,
    -- worker bookkeeping: the staged input, where the next batch starts, where input ends
    staging             text,
    next_position       bigint NOT NULL DEFAULT 0,
    end_position        bigint,
    batch_size          int  NOT NULL DEFAULT 10000 CONSTRAINT job_batch_size_range CHECK (batch_size BETWEEN 1 AND 1000000),
    worker_pid          int,
    worker_start        timestamptz,
    start_time          timestamptz NOT NULL DEFAULT now(),
    completion_time     timestamptz,
    last_heartbeat_time timestamptz,
    -- a deleted job keeps its row so that its id is never reused
    deleted             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_type, job_id),
    CONSTRAINT job_prediction_has_detector CHECK ((job_type = 'BATCH_PREDICTION') = (detector_id IS NOT NULL)),
    CONSTRAINT job_voice_has_domain CHECK ((job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT')) = (domain_id IS NOT NULL)),
    CONSTRAINT job_afd_has_event_type CHECK ((job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT')) = (event_type_name IS NULL))
);

-- Voice ID jobs: one output row per request, in the shape of Voice ID's job output file.
CREATE TABLE fraud.voice_job_results (
    job_type   text NOT NULL,
    job_id     text NOT NULL,
    row_number bigint NOT NULL,
    request_id text,
    result     jsonb NOT NULL,
    PRIMARY KEY (job_id, row_number),
    FOREIGN KEY (job_type, job_id) REFERENCES fraud.jobs(job_type, job_id) ON DELETE CASCADE
);

-- Batch import: why each failed record failed (row_number counts data rows from 1).
CREATE TABLE fraud.batch_import_errors (
    job_type   text NOT NULL DEFAULT 'BATCH_IMPORT' CONSTRAINT batch_import_errors_job_type CHECK (job_type = 'BATCH_IMPORT'),
    job_id     text NOT NULL,
    row_number bigint NOT NULL,
    event_id   text,
    reason     text NOT NULL,
    PRIMARY KEY (job_id, row_number),
    FOREIGN KEY (job_type, job_id) REFERENCES fraud.jobs(job_type, job_id) ON DELETE CASCADE
);

-- pg_dump keeps users' rows in extension tables only when they are registered as config tables.
SELECT pg_catalog.pg_extension_config_dump('fraud.entity_types', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.labels', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.outcomes', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.variables', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_types', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_type_variables', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_type_entity_types', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_type_labels', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.lists', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.list_elements', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.detectors', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.rules', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.rule_versions', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.rule_version_outcomes', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.rule_version_lists', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.detector_versions', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.detector_version_rules', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.tags', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.events', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_predictions', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.event_predictions_prediction_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.batch_import_errors', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_stamps', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_domains', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_watchlists', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_fraudsters', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_fraudster_watchlists', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_speakers', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_sessions', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.voice_job_results', '');
