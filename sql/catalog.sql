-- fraud_detector catalog: every Amazon Fraud Detector resource as a real table in schema `fraud`.
-- Constraints restate the reference (frauddetector-2019-11-15.api.json): name patterns, lengths,
-- enums and references between objects. The fraud_* functions validate first so callers get the
-- SQLSTATEs of docs/sql-reference.md (Errors); these constraints are the backstop for anyone
-- writing the tables directly.

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
COMMENT ON TABLE fraud.variable_types IS 'The variable types AFD accepts (VariableType), e.g. EMAIL_ADDRESS, IP_ADDRESS, PRICE: what fraud.variables.variable_type and fraud.lists.variable_type may name. Fixed by the extension; not user data.';

CREATE TABLE fraud.entity_types (
    name              text PRIMARY KEY
                      CONSTRAINT entity_type_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT entity_type_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.entity_types IS 'AFD entity types (PutEntityType): who performs an event, e.g. customer. An event type lists the entity types its events may name.';
COMMENT ON COLUMN fraud.entity_types.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters; the ARN is arn:fraud:<database>:entity-type/<name>.';

CREATE TABLE fraud.labels (
    name              text PRIMARY KEY
                      CONSTRAINT label_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT label_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.labels IS 'AFD labels (PutLabel): what an event turned out to be, e.g. fraud / legit. An event type lists the labels its stored events may carry (fraud.events.event_label).';
COMMENT ON COLUMN fraud.labels.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';

CREATE TABLE fraud.outcomes (
    name              text PRIMARY KEY
                      CONSTRAINT outcome_name_pattern CHECK (name ~ '^[0-9a-z_-]{1,64}$'),
    description       text CONSTRAINT outcome_description_length CHECK (length(description) BETWEEN 1 AND 128),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.outcomes IS 'AFD outcomes (PutOutcome): what a matching rule tells the caller to do, e.g. review / block. Rule versions yield them (fraud.rule_version_outcomes); fraud_predict returns them.';
COMMENT ON COLUMN fraud.outcomes.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';

-- Variable names are stricter than the reference's plain string: a rule reads `$name`, so the
-- name must be a rule-language identifier.
CREATE TABLE fraud.variables (
    name              text PRIMARY KEY
                      CONSTRAINT variable_name_pattern CHECK (name ~ '^[0-9a-z_]{1,64}$'),
    data_type         text NOT NULL
                      CONSTRAINT variable_data_type_enum CHECK (data_type IN ('STRING', 'INTEGER', 'FLOAT', 'BOOLEAN', 'DATETIME')),
    data_source       text NOT NULL
                      CONSTRAINT variable_data_source_enum CHECK (data_source IN ('EVENT', 'MODEL_SCORE', 'EXTERNAL_MODEL_SCORE', 'AGGREGATE')),
    default_value     text NOT NULL,
    description       text,
    variable_type     text REFERENCES fraud.variable_types(name),
    created_time      timestamptz NOT NULL DEFAULT now(),
    last_updated_time timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.variables IS 'AFD variables (CreateVariable): the typed fields of an event, read by rules as $name. An event that lacks a variable gets its default_value.';
COMMENT ON COLUMN fraud.variables.name IS 'The key: ^[0-9a-z_]+$, 1 to 64 characters (stricter than AFD: rules read it as $name).';
COMMENT ON COLUMN fraud.variables.data_type IS 'STRING, INTEGER, FLOAT, BOOLEAN or DATETIME: how event values are read and typed in rules.';
COMMENT ON COLUMN fraud.variables.data_source IS 'EVENT (a field of the event), or MODEL_SCORE / EXTERNAL_MODEL_SCORE (the output of a model). Only EVENT variables belong to event types or can be created with fraud_create_variable.';
COMMENT ON COLUMN fraud.variables.default_value IS 'Text of the value used when an event lacks the variable; always reads as data_type.';
COMMENT ON COLUMN fraud.variables.variable_type IS 'Optional AFD variable type (one of fraud.variable_types), e.g. EMAIL_ADDRESS or PRICE.';

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
COMMENT ON TABLE fraud.event_types IS 'AFD event types (PutEventType): the shape of a business activity to score. Members are in fraud.event_type_variables, fraud.event_type_entity_types and fraud.event_type_labels; a detector scores events of one event type.';
COMMENT ON COLUMN fraud.event_types.name IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.event_types.event_ingestion IS 'ENABLED or DISABLED (AFD EventIngestion). DISABLED: fraud_send_event is refused (55006) and fraud_get_event_prediction does not store the event.';
COMMENT ON COLUMN fraud.event_types.event_orchestration IS '{"eventBridgeEnabled": boolean} as given to PutEventType. true: fraud_get_event_prediction publishes each prediction of this type with NOTIFY on channel fraud_detector_predictions (docs/sql-reference.md, "Prediction notifications").';

-- The members of an event type, in the order they were given. RESTRICT on the member side is
-- what makes "a variable / entity type / label used by an event type cannot be deleted" hold.
CREATE TABLE fraud.event_type_variables (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    variable_name   text NOT NULL REFERENCES fraud.variables(name) ON DELETE RESTRICT,
    position        int  NOT NULL,
    PRIMARY KEY (event_type_name, variable_name)
);
COMMENT ON TABLE fraud.event_type_variables IS 'The variables of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps a variable in use from being deleted.';
COMMENT ON COLUMN fraud.event_type_variables.position IS 'Order of the variable in the event type, from 1.';
CREATE INDEX ON fraud.event_type_variables(variable_name);

CREATE TABLE fraud.event_type_entity_types (
    event_type_name  text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    entity_type_name text NOT NULL REFERENCES fraud.entity_types(name) ON DELETE RESTRICT,
    position         int  NOT NULL,
    PRIMARY KEY (event_type_name, entity_type_name)
);
COMMENT ON TABLE fraud.event_type_entity_types IS 'The entity types of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps an entity type in use from being deleted.';
COMMENT ON COLUMN fraud.event_type_entity_types.position IS 'Order of the entity type in the event type, from 1.';
CREATE INDEX ON fraud.event_type_entity_types(entity_type_name);

CREATE TABLE fraud.event_type_labels (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    label_name      text NOT NULL REFERENCES fraud.labels(name) ON DELETE RESTRICT,
    position        int  NOT NULL,
    PRIMARY KEY (event_type_name, label_name)
);
COMMENT ON TABLE fraud.event_type_labels IS 'The labels of each event type, in the order given to fraud_put_event_type. ON DELETE RESTRICT keeps a label in use from being deleted.';
COMMENT ON COLUMN fraud.event_type_labels.position IS 'Order of the label in the event type, from 1.';
CREATE INDEX ON fraud.event_type_labels(label_name);

CREATE TABLE fraud.lists (
    name          text PRIMARY KEY
                  CONSTRAINT list_name_pattern CHECK (name ~ '^[0-9a-z_]{1,64}$'),
    description   text CONSTRAINT list_description_length CHECK (length(description) BETWEEN 1 AND 128),
    variable_type text REFERENCES fraud.variable_types(name),
    created_time  timestamptz NOT NULL DEFAULT now(),
    updated_time  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fraud.lists IS 'AFD lists (CreateList): named sets of strings that rule expressions test with in @name. Elements are in fraud.list_elements (at most 100,000 per list).';
COMMENT ON COLUMN fraud.lists.name IS 'The key: ^[0-9a-z_]+$, 1 to 64 characters (rules write it as @name).';
COMMENT ON COLUMN fraud.lists.variable_type IS 'Optional AFD variable type of the elements (one of fraud.variable_types); once set it cannot be changed.';

CREATE TABLE fraud.list_elements (
    list_name text NOT NULL REFERENCES fraud.lists(name) ON DELETE CASCADE,
    element   text NOT NULL
              CONSTRAINT list_element_pattern CHECK (element ~ '^\S+( +\S+)*$' AND length(element) <= 320),
    PRIMARY KEY (list_name, element)
);
COMMENT ON TABLE fraud.list_elements IS 'The elements of each list: a set, one row per distinct element.';
COMMENT ON COLUMN fraud.list_elements.element IS 'A member of the list: 1 to 320 characters, no leading or trailing whitespace (^\S+( +\S+)*$).';

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
COMMENT ON TABLE fraud.detectors IS 'AFD detectors (PutDetector): the container of rules (fraud.rules) and detector versions (fraud.detector_versions) for one event type.';
COMMENT ON COLUMN fraud.detectors.detector_id IS 'The key: an identifier ^[0-9a-z_-]+$, 1 to 64 characters.';
COMMENT ON COLUMN fraud.detectors.event_type_name IS 'The event type whose events the detector scores; it cannot change once the detector has rules or versions.';
COMMENT ON COLUMN fraud.detectors.last_version_id IS 'Highest detector version id ever issued, so a deleted version''s id is never reused.';
CREATE INDEX ON fraud.detectors(event_type_name);

CREATE TABLE fraud.rules (
    detector_id     text NOT NULL REFERENCES fraud.detectors(detector_id) ON DELETE RESTRICT,
    rule_id         text NOT NULL CONSTRAINT rule_id_pattern CHECK (rule_id ~ '^[0-9a-z_-]{1,64}$'),
    -- highest rule version ever issued (UpdateRuleVersion makes n+1, never a reused n)
    last_version    int  NOT NULL DEFAULT 1,
    created_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (detector_id, rule_id)
);
COMMENT ON TABLE fraud.rules IS 'AFD rules (CreateRule): one row per rule of a detector. The expressions are in its versions (fraud.rule_versions); the row is deleted with the rule''s last version.';
COMMENT ON COLUMN fraud.rules.rule_id IS 'An identifier ^[0-9a-z_-]+$ (1 to 64 characters), unique within the detector.';
COMMENT ON COLUMN fraud.rules.last_version IS 'Highest rule version ever issued; UpdateRuleVersion makes last_version + 1, never a reused number.';

-- rule_expression_length restates the engine's MAX_EXPRESSION_LENGTH (engine/src/parser.rs);
-- the regression session `constants` keeps them in step.
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
COMMENT ON TABLE fraud.rule_versions IS 'AFD rule versions (CreateRule, UpdateRuleVersion): a DETECTORPL expression and the outcomes it yields (fraud.rule_version_outcomes). The expression of a version never changes; only the description can (UpdateRuleMetadata).';
COMMENT ON COLUMN fraud.rule_versions.rule_version IS 'Version number, 1 to 99999; the API shows it as text (''1'').';
COMMENT ON COLUMN fraud.rule_versions.expression IS 'The rule''s condition in DETECTORPL (docs/rule-language.md), 1 to 4,096 characters, e.g. $amount > 500 and $ip in @blocked_ips. Parsed and type checked against the detector''s event type when written.';
COMMENT ON COLUMN fraud.rule_versions.language IS 'Always DETECTORPL, the only rule language.';

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
COMMENT ON TABLE fraud.rule_version_outcomes IS 'The outcomes each rule version yields when it matches, in the order given. ON DELETE RESTRICT keeps an outcome in use from being deleted.';
COMMENT ON COLUMN fraud.rule_version_outcomes.position IS 'Order of the outcome in the rule version, from 1.';
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
COMMENT ON TABLE fraud.rule_version_lists IS 'The lists each rule version''s expression names with @name, derived from the expression when it is written. ON DELETE RESTRICT keeps a list in use from being deleted.';
CREATE INDEX ON fraud.rule_version_lists(list_name);

-- The rule execution modes are the engine's (Mode, engine/src/detector.rs); the regression
-- session `constants` keeps detector_version_rule_execution_mode_enum in step.
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
    -- scored next to the ACTIVE version by fraud_get_event_prediction, never returned
    shadow                   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (detector_id, detector_version_id),
    CONSTRAINT detector_version_shadow_not_active CHECK (NOT (shadow AND status = 'ACTIVE'))
);
COMMENT ON TABLE fraud.detector_versions IS 'AFD detector versions: an ordered set of rule versions (fraud.detector_version_rules) with a rule execution mode and the DRAFT -> ACTIVE <-> INACTIVE life cycle. Prediction uses the detector''s ACTIVE version unless a version is named.';
COMMENT ON COLUMN fraud.detector_versions.detector_version_id IS 'Version number, 1 to 99999, never reused (fraud.detectors.last_version_id); the API shows it as text (''1'').';
COMMENT ON COLUMN fraud.detector_versions.status IS 'DRAFT (editable), ACTIVE (scores by default; at most one per detector) or INACTIVE. Changed only by fraud_update_detector_version_status.';
COMMENT ON COLUMN fraud.detector_versions.rule_execution_mode IS 'FIRST_MATCHED: only the first matching rule, in position order, gives outcomes; ALL_MATCHED: every matching rule does.';
COMMENT ON COLUMN fraud.detector_versions.external_model_endpoints IS 'AFD external model endpoints; always empty for now (external models are not implemented).';
COMMENT ON COLUMN fraud.detector_versions.model_versions IS '[{"modelId", "modelType", "modelVersionNumber"}] as AFD; always [] for now (models are not implemented).';
COMMENT ON COLUMN fraud.detector_versions.shadow IS 'A shadow version (DRAFT or INACTIVE, never ACTIVE: CHECK detector_version_shadow_not_active): fraud_get_event_prediction scores it too whenever it scores the ACTIVE version, and records its result in fraud.event_predictions with shadow = true, never returning it. Set by fraud_update_detector_version_shadow; activating the version clears it.';
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
COMMENT ON TABLE fraud.detector_version_rules IS 'The rule versions of each detector version, in evaluation order; a rule at most once per detector version. ON DELETE RESTRICT keeps a rule version in use from being deleted.';
COMMENT ON COLUMN fraud.detector_version_rules.position IS 'Evaluation order of the rule in the detector version, from 1.';
CREATE INDEX ON fraud.detector_version_rules(detector_id, rule_id, rule_version);

-- Tags of every resource, keyed by the ARN's resource part (type + id); the ARN itself is
-- computed from the current database name, so a restored copy under another name still works.
CREATE TABLE fraud.tags (
    resource_type text NOT NULL
                  CONSTRAINT tag_resource_type_enum CHECK (resource_type IN
                    ('entity-type', 'event-type', 'variable', 'label', 'outcome', 'list',
                     'detector', 'detector-version', 'rule', 'batch-import', 'batch-prediction', 'voice-domain',
                     'model', 'model-version', 'external-model')),
    resource_id   text NOT NULL,
    key           text NOT NULL CONSTRAINT tag_key_length CHECK (length(key) BETWEEN 1 AND 128),
    value         text NOT NULL CONSTRAINT tag_value_length CHECK (length(value) <= 256),
    PRIMARY KEY (resource_type, resource_id, key)
);
COMMENT ON TABLE fraud.tags IS 'Tags of every resource (TagResource etc.), at most 200 per resource, keyed by the ARN''s resource part. The ARN (arn:fraud:<database>:<resource_type>/<resource_id>) is computed from the current database name.';
COMMENT ON COLUMN fraud.tags.resource_type IS 'The ARN''s resource type: entity-type, event-type, variable, label, outcome, list, detector, detector-version, rule, batch-import, batch-prediction or voice-domain.';
COMMENT ON COLUMN fraud.tags.resource_id IS 'The ARN''s resource id: a name, detector/version, detector/rule/version, a job id or a Voice ID domain id.';
COMMENT ON COLUMN fraud.tags.key IS 'Tag key, 1 to 128 characters.';
COMMENT ON COLUMN fraud.tags.value IS 'Tag value, 0 to 256 characters.';

-- Stored events (SendEvent, batch import, GetEventPrediction with ingestion ENABLED): the
-- training data of models. One row per (event type, event id); the timestamp index serves
-- time-window reads and ListEventPredictions-style scans. Not partitioned by time: the event id
-- must stay unique per event type, which a time-partitioned table cannot enforce; deleting an
-- event type's events runs as a batched job instead of a partition drop.
CREATE TABLE fraud.events (
    event_type_name text NOT NULL REFERENCES fraud.event_types(name) ON DELETE CASCADE,
    -- `+` and length(), not `{1,64}`: the bounded repetition made this check a quarter of
    -- the cost of inserting an event (bench/README.md, batch import)
    event_id        text NOT NULL CONSTRAINT event_id_pattern CHECK (event_id ~ '^[0-9a-z_-]+$' AND length(event_id) <= 64),
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
COMMENT ON TABLE fraud.events IS 'Stored events (SendEvent, batch import, GetEventPrediction with ingestion ENABLED), one row per event type and event id: the training data of models.';
COMMENT ON COLUMN fraud.events.event_id IS 'The event''s id: an identifier ^[0-9a-z_-]+$, 1 to 64 characters, unique per event type.';
COMMENT ON COLUMN fraud.events.event_timestamp IS 'When the event happened (AFD eventTimestamp).';
COMMENT ON COLUMN fraud.events.entities IS '[{"entityType", "entityId"}]: who performed the event; each entity type is one of the event type''s.';
COMMENT ON COLUMN fraud.events.event_variables IS '{"variable": "value"} as AFD''s EventVariableMap: every value a JSON string that reads as its variable''s data type.';
COMMENT ON COLUMN fraud.events.event_label IS 'The assigned label (one of the event type''s labels), or NULL; set together with label_timestamp.';
COMMENT ON COLUMN fraud.events.ingested_time IS 'When the row was stored, or last replaced by fraud_get_event_prediction.';
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
    metadata             jsonb NOT NULL,
    -- a shadow version's result, recorded next to the prediction the caller got
    shadow               boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE fraud.event_predictions IS 'Prediction history: one row per fraud_get_event_prediction call (fraud_predict records nothing), read by fraud_list_event_predictions and fraud_get_event_prediction_metadata, and the outbox of prediction notifications, read by prediction_id (docs/sql-reference.md, "Prediction notifications"); and, with shadow = true, one row per shadow version such a call scored, read by fraud_rule_stats only. Kept until deleted (no 30-day limit).';
COMMENT ON COLUMN fraud.event_predictions.prediction_id IS 'The key, in the order predictions were made (not the order they committed): a notification''s predictionId, and what an outbox reader remembers (docs/sql-reference.md, "Prediction notifications").';
COMMENT ON COLUMN fraud.event_predictions.detector_version_id IS 'The detector version that scored: the named one, or the ACTIVE one at the time.';
COMMENT ON COLUMN fraud.event_predictions.prediction_timestamp IS 'When the prediction was made, to the millisecond; fraud_get_event_prediction_metadata finds the prediction by it.';
COMMENT ON COLUMN fraud.event_predictions.entities IS 'The event''s [{"entityType", "entityId"}].';
COMMENT ON COLUMN fraud.event_predictions.result IS 'The GetEventPrediction response returned to the caller (fraud_predict''s result).';
COMMENT ON COLUMN fraud.event_predictions.metadata IS 'The GetEventPredictionMetadata response (fraud_explain''s result: every rule, variable value and source) without the prediction timestamp.';
COMMENT ON COLUMN fraud.event_predictions.shadow IS 'true: the result of a shadow version (fraud.detector_versions.shadow), scored with the same event and prediction_timestamp as the prediction the caller got and never returned, notified, listed by fraud_list_event_predictions or shown by fraud_get_event_prediction_metadata; read by fraud_rule_stats. Outbox readers skip these rows (docs/sql-reference.md, "Prediction notifications").';
CREATE INDEX event_predictions_by_event ON fraud.event_predictions(event_type_name, event_id);
CREATE INDEX event_predictions_by_time ON fraud.event_predictions(prediction_timestamp);

-- Aggregate (velocity) variables (docs/velocity-and-backtesting.md): a value computed when an event is scored,
-- from the stored events that share a key with it (an entity, or a variable's value) in a time
-- window. Its name, data type and description are its row in fraud.variables (data source
-- AGGREGATE), so one namespace holds every name a rule can use.
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
COMMENT ON TABLE fraud.voice_domains IS 'Voice ID domains: each fixes the embedding dimension, the cosine-to-score calibration and the speech minimum for its watchlists, fraudsters, speakers and sessions (docs/voice-id.md).';
COMMENT ON COLUMN fraud.voice_domains.domain_id IS 'The key: 22 generated letters and digits.';
COMMENT ON COLUMN fraud.voice_domains.domain_status IS 'Voice ID DomainStatus: ACTIVE, PENDING or SUSPENDED; domains are created ACTIVE.';
COMMENT ON COLUMN fraud.voice_domains.embedding_dimension IS 'Number of elements of every voiceprint of the domain (1 to 4096); fixed when the domain is created.';
COMMENT ON COLUMN fraud.voice_domains.cos_at_50 IS 'Cosine similarity that scores 50 (default 0.35): the lower anchor of the linear, clamped map from cosine to Voice ID''s 0-100 scores; less than cos_at_90.';
COMMENT ON COLUMN fraud.voice_domains.cos_at_90 IS 'Cosine similarity that scores 90 (default 0.60), Voice ID''s default authentication threshold: the upper anchor of the cosine-to-score map.';
COMMENT ON COLUMN fraud.voice_domains.authentication_min_speech_seconds IS 'Seconds of speech (5 to 10, default 10) EvaluateSession needs to authenticate or check for fraud, and a fraudster registration needs.';
COMMENT ON COLUMN fraud.voice_domains.fraudsters_stamp IS 'A fresh fraud.voice_stamps value whenever the domain''s fraudsters or watchlist memberships change: the key of the per-backend fraudster index.';

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
COMMENT ON TABLE fraud.voice_watchlists IS 'Voice ID watchlists: named groups of fraudsters in a domain. The domain''s default watchlist cannot be changed or deleted; a non-empty watchlist cannot be deleted.';
COMMENT ON COLUMN fraud.voice_watchlists.watchlist_id IS 'The key: 22 generated letters and digits.';
COMMENT ON COLUMN fraud.voice_watchlists.name IS 'Unique within the domain: ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 256 characters.';
COMMENT ON COLUMN fraud.voice_watchlists.default_watchlist IS 'True for the domain''s default watchlist (one per domain, created with it).';
CREATE UNIQUE INDEX voice_one_default_watchlist ON fraud.voice_watchlists(domain_id) WHERE default_watchlist;

-- A fraudster's voiceprint: L2-normalised, of the domain's dimension.
CREATE TABLE fraud.voice_fraudsters (
    domain_id      text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    fraudster_id   text PRIMARY KEY CONSTRAINT voice_fraudster_id_pattern CHECK (fraudster_id ~ '^id#[a-zA-Z0-9]{22}$'),
    embedding      real[] NOT NULL
                   CONSTRAINT voice_fraudster_embedding_vector CHECK (array_ndims(embedding) = 1 AND array_position(embedding, NULL) IS NULL)
                   -- a NaN would win every search, an infinity match every caller (docs/voice-id.md)
                   CONSTRAINT voice_fraudster_embedding_finite CHECK (NOT embedding && '{NaN,Infinity,-Infinity}'::real[]),
    speech_seconds real NOT NULL CONSTRAINT voice_fraudster_speech CHECK (speech_seconds >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain_id, fraudster_id)
);
-- a domain's fraudsters in the order a backend loads them into its index (src/voice.rs)
CREATE INDEX voice_fraudsters_load_order ON fraud.voice_fraudsters (domain_id, created_at, fraudster_id);
COMMENT ON TABLE fraud.voice_fraudsters IS 'Voice ID fraudsters: known fraudsters'' voiceprints, created by fraudster registration jobs; each is in at least one watchlist (fraud.voice_fraudster_watchlists).';
COMMENT ON COLUMN fraud.voice_fraudsters.fraudster_id IS 'The key (GeneratedFraudsterId): id# and 22 letters and digits.';
COMMENT ON COLUMN fraud.voice_fraudsters.embedding IS 'The voiceprint: an L2-normalised real[] of the domain''s embedding_dimension; every element finite (no NaN or Infinity: CHECK voice_fraudster_embedding_finite).';
COMMENT ON COLUMN fraud.voice_fraudsters.speech_seconds IS 'Seconds of net speech the voiceprint came from.';

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
COMMENT ON TABLE fraud.voice_fraudster_watchlists IS 'Watchlist membership of fraudsters (AssociateFraudster, DisassociateFraudster); every fraudster is in at least one watchlist (enforced by the functions).';
CREATE INDEX voice_fraudster_watchlists_by_watchlist ON fraud.voice_fraudster_watchlists(watchlist_id);

-- How each fraudsters_stamp of a domain came to be: the stamp it replaced and the fraudsters
-- whose rows (or watchlist memberships) the change touched, written by the stamp trigger
-- (sql/voice.sql). A backend follows the chain from the domain's current stamp back to the
-- stamp of its cached index and re-reads only those fraudsters. Derived data: a missing link
-- only means a full load, so it is pruned to the latest links and not dumped.
CREATE TABLE fraud.voice_fraudster_changes (
    domain_id      text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    stamp          bigint NOT NULL,
    previous_stamp bigint NOT NULL,
    fraudster_ids  text[],
    PRIMARY KEY (domain_id, stamp)
);
ALTER TABLE fraud.voice_fraudster_changes SET (autovacuum_vacuum_scale_factor = 0.01);
COMMENT ON TABLE fraud.voice_fraudster_changes IS 'The chain of a domain''s fraudsters_stamp values: each new stamp, the stamp it replaced and the fraudsters the change touched (NULL: too many to list). Lets a backend bring its cached fraudster index forward instead of reloading it (docs/voice-id.md); pruned to about the latest 200 links per domain; not dumped (a missing link only means a full load).';

CREATE TABLE fraud.voice_speakers (
    domain_id            text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    generated_speaker_id text PRIMARY KEY CONSTRAINT voice_speaker_id_pattern CHECK (generated_speaker_id ~ '^id#[a-zA-Z0-9]{22}$'),
    customer_speaker_id  text NOT NULL
                         CONSTRAINT voice_customer_speaker_id_pattern CHECK (customer_speaker_id ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(customer_speaker_id) <= 256),
    status               text NOT NULL
                         CONSTRAINT voice_speaker_status_enum CHECK (status IN ('ENROLLED', 'EXPIRED', 'OPTED_OUT', 'PENDING')),
    embedding            real[] CONSTRAINT voice_speaker_embedding_vector CHECK (array_ndims(embedding) = 1 AND array_position(embedding, NULL) IS NULL)
                         CONSTRAINT voice_speaker_embedding_finite CHECK (NOT embedding && '{NaN,Infinity,-Infinity}'::real[]),
    speech_seconds       real,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    last_accessed_at     timestamptz,
    UNIQUE (domain_id, customer_speaker_id),
    CONSTRAINT voice_enrolled_speaker_has_voiceprint CHECK (status <> 'ENROLLED' OR embedding IS NOT NULL)
);
COMMENT ON TABLE fraud.voice_speakers IS 'Voice ID speakers: callers known by their own id and a generated id#... one; enrolled by speaker enrolment jobs, authenticated by fraud_voice_evaluate_session.';
COMMENT ON COLUMN fraud.voice_speakers.generated_speaker_id IS 'The key (GeneratedSpeakerId): id# and 22 letters and digits.';
COMMENT ON COLUMN fraud.voice_speakers.customer_speaker_id IS 'The caller''s own id (CustomerSpeakerId), unique within the domain.';
COMMENT ON COLUMN fraud.voice_speakers.status IS 'ENROLLED (has a voiceprint), OPTED_OUT (voiceprint removed; cannot be enrolled again), EXPIRED or PENDING.';
COMMENT ON COLUMN fraud.voice_speakers.embedding IS 'The enrolled voiceprint (L2-normalised, of the domain''s dimension, every element finite: CHECK voice_speaker_embedding_finite); NULL when the speaker has none, e.g. after opting out.';
COMMENT ON COLUMN fraud.voice_speakers.last_accessed_at IS 'Last time EvaluateSession authenticated the speaker (decision ACCEPT or REJECT).';

-- Sessions EvaluateSession has seen (by name; the id is derived from domain and name).
CREATE TABLE fraud.voice_sessions (
    domain_id    text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    session_id   text PRIMARY KEY CONSTRAINT voice_session_id_pattern CHECK (session_id ~ '^id#[a-zA-Z0-9]{22}$'),
    session_name text NOT NULL
                 CONSTRAINT voice_session_name_pattern CHECK (session_name ~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' AND length(session_name) <= 36),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain_id, session_name)
);
COMMENT ON TABLE fraud.voice_sessions IS 'Sessions (calls) EvaluateSession has seen. A session is named by the caller; its id is derived from domain and name, so a name always gives the same id.';
COMMENT ON COLUMN fraud.voice_sessions.session_id IS 'The key: id# and 22 letters and digits, derived from domain_id and session_name.';
COMMENT ON COLUMN fraud.voice_sessions.session_name IS 'The caller''s name for the session, unique within the domain: ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 36 characters.';

-- Asynchronous jobs: batch import, batch prediction, and deleting an event type's events
-- (job_id = the event type's name). A job's counters and heartbeat are committed batch by
-- batch by its background worker, so any session sees its progress.
CREATE TABLE fraud.jobs (
    job_type            text NOT NULL
                        CONSTRAINT job_type_enum CHECK (job_type IN ('BATCH_IMPORT', 'BATCH_PREDICTION', 'DELETE_EVENTS', 'BACKTEST',
                            'FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT', 'MODEL_TRAINING')),
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
    -- the role that created the job; everything the job does with the user's objects runs as
    -- this role (regrole: dumped and restored by name)
    owner               regrole NOT NULL,
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
    -- a batch import of a CSV file: where the next batch starts (byte offset, line number)
    input_offset        bigint,
    input_line          bigint,
    PRIMARY KEY (job_type, job_id),
    CONSTRAINT job_prediction_has_detector CHECK ((job_type IN ('BATCH_PREDICTION', 'BACKTEST')) = (detector_id IS NOT NULL)),
    CONSTRAINT job_voice_has_domain CHECK ((job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT')) = (domain_id IS NOT NULL)),
    CONSTRAINT job_afd_has_event_type CHECK ((job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT')) = (event_type_name IS NULL))
);
COMMENT ON TABLE fraud.jobs IS 'Asynchronous jobs run by background workers: batch import, batch prediction, deleting an event type''s events, Voice ID fraudster registration and speaker enrolment. Counters and heartbeat commit batch by batch, so any session sees progress.';
COMMENT ON COLUMN fraud.jobs.job_type IS 'BATCH_IMPORT, BATCH_PREDICTION, DELETE_EVENTS, FRAUDSTER_REGISTRATION or SPEAKER_ENROLLMENT; with job_id the key.';
COMMENT ON COLUMN fraud.jobs.job_id IS 'AFD jobs: the caller''s identifier, never reused; DELETE_EVENTS: the event type''s name; Voice ID jobs: 22 generated letters and digits.';
COMMENT ON COLUMN fraud.jobs.status IS 'AFD AsyncJobStatus (IN_PROGRESS_INITIALIZING, IN_PROGRESS, CANCEL_IN_PROGRESS, CANCELED, COMPLETE, FAILED); Voice ID jobs: SUBMITTED, IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERRORS, FAILED.';
COMMENT ON COLUMN fraud.jobs.failure_reason IS 'Why a FAILED job failed: the error, or that its worker stopped before the job finished.';
COMMENT ON COLUMN fraud.jobs.config IS 'Voice ID jobs: the RegistrationConfig or EnrollmentConfig, with defaults filled in.';
COMMENT ON COLUMN fraud.jobs.detector_version_id IS 'Batch prediction: the detector version used (the one named, or the ACTIVE one when the job started).';
COMMENT ON COLUMN fraud.jobs.input_kind IS 'TABLE (a plain table read in place by ctid ranges), QUERY (a query, view or partitioned table, staged), FILE (a server-side CSV file or JSON manifest, staged) or EVENTS (DELETE_EVENTS).';
COMMENT ON COLUMN fraud.jobs.input_path IS 'The input: a quoted, schema-qualified table name, a query, or an absolute server-side file path.';
COMMENT ON COLUMN fraud.jobs.output_path IS 'Batch prediction: the output table the job created (quoted, schema-qualified); it belongs to the caller and outlives the job.';
COMMENT ON COLUMN fraud.jobs.owner IS 'The role that created the job (the current_user of the call); the job reads its input and writes its output with exactly this role''s rights. Only this role, its members and roles that manage definitions see the input, cancel or delete the job.';
COMMENT ON COLUMN fraud.jobs.search_path IS 'The creator''s search_path, set in the worker so names in a query input resolve as they did for the creator.';
COMMENT ON COLUMN fraud.jobs.processed_records_count IS 'Records handled by committed batches, good and failed.';
COMMENT ON COLUMN fraud.jobs.total_records_count IS 'Number of input records; known once the worker has staged or counted the input.';
COMMENT ON COLUMN fraud.jobs.staging IS 'Name of the job''s unlogged staging table holding a snapshot of a query, view or file input; NULL when the input is read in place, and once the job ends (the table is then dropped).';
COMMENT ON COLUMN fraud.jobs.next_position IS 'Where the next batch starts: a _row number of the staging table, or a block number of a table read in place.';
COMMENT ON COLUMN fraud.jobs.end_position IS 'Where the input ends: the staged row count, or the block count of a table read in place.';
COMMENT ON COLUMN fraud.jobs.batch_size IS 'Records per batch, each batch its own transaction (10,000 for AFD jobs, 500 for Voice ID jobs).';
COMMENT ON COLUMN fraud.jobs.worker_pid IS 'PID of the background worker holding the job; with worker_start it tells a vanished worker (the job then ends FAILED) from a live one, judged from pg_stat_activity as the extension''s owner, the role workers connect as.';
COMMENT ON COLUMN fraud.jobs.deleted IS 'True after Delete*Job: the row stays so that the job id is never reused.';
COMMENT ON COLUMN fraud.jobs.input_offset IS 'Batch import of a CSV file: the byte offset in the file where the next batch starts (with next_position, the data rows read so far).';
COMMENT ON COLUMN fraud.jobs.input_line IS 'Batch import of a CSV file: the line number (the header is line 1) where the next batch starts.';

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
COMMENT ON TABLE fraud.voice_job_results IS 'Output of Voice ID jobs: one row per request, in input order, in the shape of Voice ID''s job output file (fraud_voice_get_job_results).';
COMMENT ON COLUMN fraud.voice_job_results.row_number IS 'Position of the request in the input, from 1.';
COMMENT ON COLUMN fraud.voice_job_results.result IS '{"RequestId", "RegistrationStatus", "GeneratedFraudsterId", "FraudsterSimilarityScore"}, {"RequestId", "EnrollmentStatus", "GeneratedSpeakerId"}, or {"RequestId", "ErrorCode", "ErrorMessage"} for a failed request.';

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
COMMENT ON TABLE fraud.batch_import_errors IS 'Failed records of batch import jobs (fraud_get_batch_import_job_errors): the first failing check of each rejected row.';
COMMENT ON COLUMN fraud.batch_import_errors.row_number IS 'Data row of the input, from 1 (in a CSV file, the record after the header, a broken record counting as one: the line number minus one unless a quoted field spans lines).';
COMMENT ON COLUMN fraud.batch_import_errors.event_id IS 'The row''s EVENT_ID as given (at most 100 characters), if any.';
COMMENT ON COLUMN fraud.batch_import_errors.reason IS 'Why the row was rejected, e.g. EVENT_TIMESTAMP ... is not a supported timestamp.';

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
SELECT pg_catalog.pg_extension_config_dump('fraud.aggregate_variables', '');
SELECT pg_catalog.pg_extension_config_dump('fraud.aggregate_variable_event_types', '');
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
