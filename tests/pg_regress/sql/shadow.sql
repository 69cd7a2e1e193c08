-- Shadow detector versions (fraud_update_detector_version_shadow) and fraud_rule_stats
-- (docs/velocity-and-backtesting.md): a shadow is scored next to the ACTIVE version by
-- fraud_get_event_prediction and recorded, never returned, listed or explained; activation
-- clears the flag; the statistics of a small labelled set, every number computed by hand.
\i helpers.sql
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('country', 'STRING', 'EVENT', 'us');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('chargeback');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('order', ARRAY['amount', 'country'], ARRAY['customer'],
                            labels => ARRAY['fraud', 'chargeback', 'legit']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_put_detector('shop', 'order');
SELECT fraud_create_rule('big', 'shop', '$amount > 100', ARRAY['review']);
SELECT fraud_create_rule('foreign', 'shop', '$country == "fr"', ARRAY['review']);
SELECT fraud_create_rule('rest', 'shop', '$amount >= 0', ARRAY['approve']);
-- 1: the ACTIVE version (big, rest); 2: the challenger (foreign, big, rest); 3: a plain DRAFT
-- (rest); 4: a DRAFT without rules. All FIRST_MATCHED.
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[
  {"detectorId": "shop", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "rest", "ruleVersion": "1"}]');
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[
  {"detectorId": "shop", "ruleId": "foreign", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "rest", "ruleVersion": "1"}]');
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[{"detectorId": "shop", "ruleId": "rest", "ruleVersion": "1"}]');
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[]');
SELECT fraud_update_detector_version_status('shop', '1', 'ACTIVE');

-- marking: a DRAFT version becomes a shadow; getters show the flag
SELECT fraud_update_detector_version_shadow('shop', '2', true);
SELECT detector_version_id, status, shadow FROM fraud_describe_detector('shop');
SELECT detector_version_id, status, shadow FROM fraud_get_detector_version('shop', '2');
-- marking twice, unmarking, marking again: each is the flag given
SELECT fraud_update_detector_version_shadow('shop', '2', true);
SELECT fraud_update_detector_version_shadow('shop', '2', false);
SELECT shadow FROM fraud_get_detector_version('shop', '2');
SELECT fraud_update_detector_version_shadow('shop', '2', true);

-- refusals, each with its SQLSTATE; none changes a flag
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '1', true)$$) AS active_version;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '1', false)$$) AS active_version_unmark;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('nope', '1', true)$$) AS unknown_detector;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '9', true)$$) AS unknown_version;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', 'two', true)$$) AS bad_version_id;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('Shop!', '2', true)$$) AS bad_detector_id;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '3', NULL)$$) AS null_shadow;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow(NULL, '3', true)$$) AS null_detector;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', NULL, true)$$) AS null_version;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '4', true)$$) AS no_rules;
-- the catalog's backstop: an ACTIVE version is never a shadow
SELECT pg_temp.err($$UPDATE fraud.detector_versions SET shadow = true WHERE detector_id = 'shop' AND detector_version_id = 1$$) AS check_constraint;
SELECT detector_version_id, status, shadow FROM fraud_describe_detector('shop');

-- Predictions. FIRST_MATCHED: version 1 returns big's review or rest's approve; the shadow's
-- first matching rule is foreign, then big, then rest.
--   e1 amount 500 us: 1 big;  2 big (foreign evaluated, not matched)
--   e2 amount 50 fr:  1 rest; 2 foreign
--   e3 amount 200 fr: 1 big;  2 foreign
--   e4 amount 10 us:  1 rest; 2 rest
SELECT fraud_get_event_prediction('shop', 'e1', 'order', '[{"entityType": "customer", "entityId": "c1"}]',
                                  '2024-05-01T10:00:00Z', '{"amount": "500", "country": "us"}');
SELECT fraud_get_event_prediction('shop', 'e2', 'order', '[{"entityType": "customer", "entityId": "c2"}]',
                                  '2024-05-01T10:01:00Z', '{"amount": "50", "country": "fr"}');
SELECT fraud_get_event_prediction('shop', 'e3', 'order', '[{"entityType": "customer", "entityId": "c3"}]',
                                  '2024-05-01T10:02:00Z', '{"amount": "200", "country": "fr"}');
SELECT fraud_get_event_prediction('shop', 'e4', 'order', '[{"entityType": "customer", "entityId": "c4"}]',
                                  '2024-05-01T10:03:00Z', '{"amount": "10", "country": "us"}');
-- a named version scores that version only, even the shadow itself, and is an ordinary
-- (returned, listed) prediction: no shadow scoring next to it
SELECT fraud_get_event_prediction('shop', 'e5', 'order', '[{"entityType": "customer", "entityId": "c5"}]',
                                  '2024-05-01T10:04:00Z', '{"amount": "300", "country": "fr"}', '2');
SELECT fraud_get_event_prediction('shop', 'e6', 'order', '[{"entityType": "customer", "entityId": "c6"}]',
                                  '2024-05-01T10:05:00Z', '{"amount": "1", "country": "fr"}', '3');

-- what was recorded: one row per call, and one shadow row per call on the ACTIVE version,
-- with the caller's prediction timestamp, the event, and the shadow's own result and metadata
SELECT event_id, detector_version_id, shadow, result->'ruleResults' AS rule_results,
       metadata->>'detectorVersionStatus' AS version_status
FROM fraud.event_predictions ORDER BY prediction_id;
SELECT s.event_id, s.prediction_timestamp = a.prediction_timestamp AS same_timestamp, s.entities = a.entities AS same_entities,
       s.event_timestamp = a.event_timestamp AS same_event_timestamp
FROM fraud.event_predictions s JOIN fraud.event_predictions a ON a.event_id = s.event_id AND NOT a.shadow
WHERE s.shadow ORDER BY s.event_id;
SELECT event_id, jsonb_agg(jsonb_build_array(r->>'ruleId', r->'evaluated', r->'matched') ORDER BY i) AS shadow_rules
FROM fraud.event_predictions, jsonb_array_elements(metadata->'rules') WITH ORDINALITY x(r, i)
WHERE shadow GROUP BY event_id ORDER BY event_id;

-- ListEventPredictions and GetEventPredictionMetadata show what callers got, never a shadow's
SELECT event_id, detector_version_id FROM fraud_list_event_predictions(detector_id => '{"value": "shop"}') ORDER BY event_id;
SELECT count(*) AS listed_for_version_2 FROM fraud_list_event_predictions(detector_version_id => '{"value": "2"}');
SELECT p.event_id, regexp_replace(pg_temp.err(format('SELECT fraud_get_event_prediction_metadata(%L, %L, %L, %L, %L)', p.event_id,
                                  'order', 'shop', '2', p.prediction_timestamp::text)), ' at .*', ' at (masked)...') AS shadow_metadata
FROM fraud.event_predictions p WHERE p.shadow AND p.event_id = 'e1';
SELECT fraud_get_event_prediction_metadata('e1', 'order', 'shop', '1', p.prediction_timestamp::text)->>'detectorVersionId' AS active_metadata
FROM fraud.event_predictions p WHERE p.event_id = 'e1' AND NOT p.shadow;
SELECT fraud_get_event_prediction_metadata('e5', 'order', 'shop', '2', p.prediction_timestamp::text)->'outcomes' AS named_version_metadata
FROM fraud.event_predictions p WHERE p.event_id = 'e5';
-- the outbox reading of docs/sql-reference.md skips them too
SELECT count(*) AS outbox_rows FROM fraud.event_predictions WHERE prediction_id > 0 AND NOT shadow;

-- a shadow that cannot score records nothing and does not fail the caller's prediction. Version
-- 5 shadows with a rule whose expression is then broken by writing the catalog around the API
-- (the API refuses to); version 2 goes on being recorded.
SELECT fraud_create_rule('odd', 'shop', '$amount > 1', ARRAY['review']);
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[{"detectorId": "shop", "ruleId": "odd", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_shadow('shop', '5', true);
UPDATE fraud.rule_versions SET expression = '$no_such_variable > 1' WHERE detector_id = 'shop' AND rule_id = 'odd';
SELECT fraud_get_event_prediction('shop', 'e7', 'order', '[{"entityType": "customer", "entityId": "c7"}]',
                                  '2024-05-01T10:06:00Z', '{"amount": "5", "country": "us"}');
SELECT detector_version_id, shadow FROM fraud.event_predictions WHERE event_id = 'e7' ORDER BY prediction_id;
-- and marking it again is refused, as activating it would be: it no longer compiles
SELECT fraud_update_detector_version_shadow('shop', '5', false);
SELECT pg_temp.err($$SELECT fraud_update_detector_version_shadow('shop', '5', true)$$) AS broken_version;
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('shop', '5', 'ACTIVE')$$) AS broken_activation;
-- e7 is left out of the statistics below
DELETE FROM fraud.event_predictions WHERE event_id = 'e7';

-- Labels: e1 fraud, e2 chargeback, e3 legit, e5 fraud; e4 and e6 have none.
SELECT fraud_update_event_label('e1', 'order', 'fraud', '2024-06-01T00:00:00Z');
SELECT fraud_update_event_label('e2', 'order', 'chargeback', '2024-06-01T00:00:00Z');
SELECT fraud_update_event_label('e3', 'order', 'legit', '2024-06-01T00:00:00Z');
SELECT fraud_update_event_label('e5', 'order', 'fraud', '2024-06-01T00:00:00Z');
-- fixed prediction times, so that windows can be chosen: e1 at 12:01, e2 at 12:02, ... e6 at 12:06
UPDATE fraud.event_predictions SET prediction_timestamp = '2024-06-01 12:00:00+00'::timestamptz + substr(event_id, 2)::int * interval '1 minute';

-- Expected, all predictions ([12:00, 13:00)), fraud labels {fraud}:
--   1 (4 predictions e1-e4)   big:     evaluated 4, matched e1 e3 = 2, labelled 2, fraud 1 (e1), precision 0.5
--                             rest:    evaluated e2 e4 = 2, matched 2, labelled 1 (e2 chargeback), fraud 0, precision 0
--   2 (1 prediction e5)       foreign: 1, 1, 1, 1, precision 1; big and rest never evaluated: 0s, precision NULL
--   2 shadow (4, e1-e4)       foreign: evaluated 4, matched e2 e3 = 2, labelled 2, fraud 0, precision 0
--                             big:     evaluated e1 e4 = 2, matched e1 = 1, labelled 1, fraud 1, precision 1
--                             rest:    evaluated e4 = 1, matched 1, labelled 0, fraud 0, precision NULL
--   3 (1 prediction e6)       rest:    1, 1, 0 (e6 unlabelled), 0, precision NULL
SELECT * FROM fraud_rule_stats('shop', '2024-06-01 12:00:00+00', '2024-06-01 13:00:00+00');
-- chargebacks count as fraud too: 1 rest 1/1 = 1; 2 shadow foreign 1/2 = 0.5
SELECT detector_version_id, shadow, rule_id, labeled_matched, matched_fraud, precision
FROM fraud_rule_stats('shop', '2024-06-01 12:00:00+00', '2024-06-01 13:00:00+00', ARRAY['fraud', 'chargeback'])
WHERE matched > 0;
-- [from, to): from 12:02 (e2 in) to 12:03 (e3 out): e2 alone, with its shadow
SELECT * FROM fraud_rule_stats('shop', '2024-06-01 12:02:00+00', '2024-06-01 12:03:00+00');
-- an empty window, and a detector with no predictions: no rows
SELECT count(*) AS empty_window FROM fraud_rule_stats('shop', '2024-06-01 12:02:00+00', '2024-06-01 12:02:00+00');
SELECT fraud_put_detector('idle', 'order');
SELECT count(*) AS idle_detector FROM fraud_rule_stats('idle', '-infinity', 'infinity');
-- a label changed later counts as it is now: e3 becomes fraud, version 1's big is 2/2
SELECT fraud_update_event_label('e3', 'order', 'fraud', '2024-06-02T00:00:00Z');
SELECT rule_id, labeled_matched, matched_fraud, precision FROM fraud_rule_stats('shop', '-infinity', 'infinity')
WHERE detector_version_id = '1' AND NOT shadow;
-- an event no longer stored is unlabelled: deleting e1 (keeping its predictions) leaves big 1/1
SELECT fraud_delete_event('e1', 'order');
SELECT rule_id, matched, labeled_matched, matched_fraud, precision FROM fraud_rule_stats('shop', '-infinity', 'infinity')
WHERE detector_version_id = '1' AND NOT shadow;

-- refusals
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('nope', '-infinity', 'infinity')$$) AS unknown_detector;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('Shop!', '-infinity', 'infinity')$$) AS bad_detector_id;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats(NULL, '-infinity', 'infinity')$$) AS null_detector;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', NULL, 'infinity')$$) AS null_from;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', NULL)$$) AS null_to;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '2024-06-02', '2024-06-01')$$) AS to_before_from;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', ARRAY['fraud', 'stolen'])$$) AS unknown_label;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', '{}')$$) AS no_labels;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', NULL)$$) AS null_labels;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', ARRAY['fraud', NULL])$$) AS null_label;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', '{{fraud},{legit}}')$$) AS two_dimensions;
SELECT pg_temp.err($$SELECT * FROM fraud_rule_stats('shop', '-infinity', 'infinity', ARRAY['fraud', 'fraud'])$$) AS duplicate_label;
SELECT provolatile AS rule_stats_volatility FROM pg_proc WHERE proname = 'fraud_rule_stats';

-- activating a shadow clears its flag (and the old ACTIVE version is no shadow); from then on
-- nothing shadows: one row per prediction
SELECT fraud_update_detector_version_status('shop', '2', 'ACTIVE');
SELECT detector_version_id, status, shadow FROM fraud_describe_detector('shop');
SELECT fraud_get_event_prediction('shop', 'e8', 'order', '[{"entityType": "customer", "entityId": "c8"}]',
                                  '2024-05-01T10:07:00Z', '{"amount": "5", "country": "fr"}');
SELECT detector_version_id, shadow FROM fraud.event_predictions WHERE event_id = 'e8';
-- an INACTIVE version can shadow the new ACTIVE one
SELECT fraud_update_detector_version_shadow('shop', '1', true);
SELECT fraud_get_event_prediction('shop', 'e9', 'order', '[{"entityType": "customer", "entityId": "c9"}]',
                                  '2024-05-01T10:08:00Z', '{"amount": "500", "country": "us"}');
SELECT detector_version_id, shadow, result->'ruleResults'->0->>'ruleId' AS first_rule
FROM fraud.event_predictions WHERE event_id = 'e9' ORDER BY prediction_id;
-- deleting a shadow version is allowed (it is not ACTIVE); its recorded results stay
SELECT fraud_update_detector_version_status('shop', '3', 'ACTIVE');
SELECT fraud_delete_detector_version('shop', '1');
SELECT count(*) AS version_1_rows_kept FROM fraud.event_predictions WHERE detector_version_id = 1;
